import { and, asc, eq, sql } from "drizzle-orm";
import type { Transporter } from "nodemailer";
import type { Db } from "../../../db/client";
import {
  accounts,
  contactSends,
  contacts,
  csms,
  enrollments,
  inAppMessages,
  journeys,
  touches,
  workspaces,
} from "../../../db/schema/index";
import { accountFacts } from "../accounts/facts";
import { signToken } from "../shared/signing";
import type { FileTemplate } from "../templates/files";
import { findTemplate } from "../templates/message-templates";
import { type Settings, settingsOf } from "../workspace/settings";
import {
  type Decision,
  doneFor,
  release,
  releasePending,
  reserve,
  screen,
  settleSend,
  TRANSACTIONAL,
} from "./arbiter";
import { sendMail } from "./mailer";
import { decodeEntities, pickLocale, renderTemplate } from "./render";
import { postWebhook } from "./webhooks";

/**
 * The one path every touch takes. The `touches` row, unique on (enrollment, touch key), is the
 * idempotency record: a retried activity or a replayed workflow finds it and sends nothing twice;
 * `contact_sends` records each contact reached, so a retried or deferred touch skips them. Every
 * message to a contact passes the arbiter (unsubscribes, quiet hours, frequency cap); email goes to
 * SMTP or the dev outbox with signed unsubscribe and tracking links; in-app messages are stored for
 * the widget.
 */

export type DeliveryDeps = {
  db: Db;
  outboxDir: string;
  fileTemplates: FileTemplate[];
  publicUrl: string;
  /** SMTP (from `SMTP_URL`); without it email goes to the dev outbox. */
  transport?: Transporter | undefined;
};

export type TouchRequest = {
  workspaceId: string;
  enrollmentId: string;
  journeyName: string;
  touchKey: string;
  stepId: string;
  channel: "email" | "in_app";
  template: string;
  to: string;
  at: string;
  /** The activity attempt: a transient SMTP failure is retried until SMTP_ATTEMPTS, then recorded. */
  attempt?: number;
};

export type TouchOutcome = {
  status: "sent" | "skipped" | "failed" | "deferred";
  reason?: string;
  /** When deferred (quiet hours): call again at this time. */
  until?: string;
  /** The arbiter's decision for every contact. */
  decisions?: Decision[];
  recipients: string[];
  duplicate: boolean;
  messageIds: string[];
};

/**
 * Attempts of a transient SMTP failure before the contact is recorded as failed: with the journey's
 * backoff (1 s doubling to 5 min) about 20 minutes of a mail server being away, which also leaves
 * room for the attempts a retry spends waiting out a dead attempt's send lease.
 */
export const SMTP_ATTEMPTS = 12;
/** Attempts before a notification webhook is recorded as failed. */
export const WEBHOOK_ATTEMPTS = 5;

type TouchRow = typeof touches.$inferSelect;

function outcomeOf(row: TouchRow, duplicate: boolean): TouchOutcome {
  const delivery = row.delivery as { recipients?: string[]; messageIds?: string[] };
  return {
    status: row.status === "sent" || row.status === "skipped" ? row.status : "failed",
    ...(row.reason ? { reason: row.reason } : {}),
    recipients: delivery.recipients ?? [],
    duplicate,
    messageIds: delivery.messageIds ?? [],
  };
}

/**
 * Claims the touch key; returns the existing row when it was already carried out. `fresh`: this call
 * created the row, so no attempt before it reached anyone.
 */
async function claim(
  db: Db,
  values: Omit<typeof touches.$inferInsert, "status">,
): Promise<{ done: TouchRow | null; row: TouchRow; fresh: boolean }> {
  const [created] = await db
    .insert(touches)
    .values({ ...values, status: "pending" })
    .onConflictDoNothing({ target: [touches.enrollmentId, touches.touchKey] })
    .returning();
  if (created) return { done: null, row: created, fresh: true };
  const [row] = await db
    .select()
    .from(touches)
    .where(and(eq(touches.enrollmentId, values.enrollmentId), eq(touches.touchKey, values.touchKey)));
  if (!row) throw new Error(`touch ${values.touchKey} vanished`);
  // `pending` means an earlier attempt stopped half-way: redo it (file names are deterministic).
  return { done: row.status === "pending" ? null : row, row, fresh: false };
}

async function settle(
  db: Db,
  row: TouchRow,
  status: "sent" | "skipped" | "failed",
  reason: string | null,
  delivery: Record<string, unknown>,
): Promise<TouchOutcome> {
  const [updated] = await db
    .update(touches)
    .set({ status, reason, delivery, updatedAt: new Date() })
    .where(eq(touches.id, row.id))
    .returning();
  return outcomeOf(updated ?? row, false);
}

/** What a run's transition and every touch in it need to know: its journey, account and workspace. */
export type RunContext = {
  journeyStatus: typeof journeys.$inferSelect.status;
  journeyName: string;
  account: typeof accounts.$inferSelect;
  workspaceName: string;
  secret: string;
  settings: Settings;
};

/** The run context of an enrollment, in one query; undefined when the enrollment is not found. */
export async function loadRunContext(
  db: Db,
  workspaceId: string,
  enrollmentId: string,
): Promise<RunContext | undefined> {
  const [row] = await db
    .select({
      journeyStatus: journeys.status,
      journeyName: journeys.name,
      account: accounts,
      workspaceName: workspaces.name,
      secret: workspaces.signingSecret,
      settings: workspaces.settings,
    })
    .from(enrollments)
    .innerJoin(journeys, eq(journeys.id, enrollments.journeyId))
    .innerJoin(accounts, eq(accounts.id, enrollments.accountId))
    .innerJoin(workspaces, eq(workspaces.id, enrollments.workspaceId))
    .where(and(eq(enrollments.id, enrollmentId), eq(enrollments.workspaceId, workspaceId)));
  return row && { ...row, settings: settingsOf(row.settings) };
}

/**
 * Sends one journey touch to every contact its `to` names, exactly once each, through the arbiter.
 * Contacts in quiet hours are deferred: the outcome says until when, the touch stays pending, and
 * the run calls again then (contacts already done are skipped). `loaded`: the run's context when
 * the caller already read it (a transition reads it once for all its touches).
 */
export async function deliverTouch(
  deps: DeliveryDeps,
  req: TouchRequest,
  loaded?: RunContext,
): Promise<TouchOutcome> {
  const { db } = deps;
  const claimed = await claim(db, {
    workspaceId: req.workspaceId,
    enrollmentId: req.enrollmentId,
    touchKey: req.touchKey,
    stepId: req.stepId,
    channel: req.channel,
    template: req.template,
    recipient: req.to,
  });
  if (claimed.done) return outcomeOf(claimed.done, true);
  const row = claimed.row;

  const context = loaded ?? (await loadRunContext(db, req.workspaceId, req.enrollmentId));
  if (!context) return settle(db, row, "failed", "enrollment not found", {});
  const { account, settings } = context;

  const people = await recipients(db, account, req.to);
  if (people.length === 0) return settle(db, row, "skipped", `no recipient for ${req.to}`, {});

  const copy = await findTemplate(db, deps.fileTemplates, req.workspaceId, req.template);
  if (!copy) return settle(db, row, "failed", `unknown template ${req.template}`, {});
  // A touch this call claimed has reached no one yet.
  const done = claimed.fresh ? new Set<string>() : await doneFor(db, row.id);
  const csm = await ownerCsmOf(db, account);
  const sender = senderFor(settings, account, csm);
  const facts = await accountFacts(db, account, req.at);
  const contextOf = (person: Person, preferences: string) =>
    contextFor(deps, req, { ...context, csm, facts }, person, preferences);

  const decisions: Decision[] = [];
  const delivered: Record<string, unknown>[] = [];
  const earlier = (row.delivery as { delivered?: Record<string, unknown>[] }).delivered ?? [];
  for (const person of people) {
    if (!person.id) {
      // The owner CSM, copied on a touch: internal mail, no arbiter, no tracking, no unsubscribe.
      if (req.channel !== "email" || earlier.some((d) => d.to === person.email)) continue;
      const version = copy.locales[pickLocale(Object.keys(copy.locales), null) ?? "en"];
      if (!version) continue;
      const rendered = renderTemplate(version, contextOf(person, deps.publicUrl));
      const messageId = `<${row.id}.csm@${domainOf(sender.from)}>`;
      const result = await sendMail(deps, req.workspaceId, `${req.enrollmentId}-${req.touchKey}-csm`, {
        from: sender.from,
        to: person.email,
        subject: rendered.subject ?? req.template,
        html: rendered.html,
        text: rendered.text,
        messageId,
        date: new Date(req.at),
        headers: { "X-Volante-Enrollment": req.enrollmentId, "X-Volante-Touch": req.touchKey },
      });
      delivered.push(
        result.ok
          ? { to: person.email, status: "sent", messageId, ...(result.file ? { file: result.file } : {}) }
          : { to: person.email, status: "failed", reason: result.reason },
      );
      continue;
    }
    const recipient = { contactId: person.id, email: person.email, timezone: person.timezone };
    if (done.has(person.id)) {
      decisions.push({ to: person.email, decision: "already_sent" });
      continue;
    }
    const screened = screen(recipient, {
      category: copy.category,
      at: req.at,
      settings,
      accountTimezone: account.timezone,
      suppressed: person.suppressed,
    });
    if (screened) {
      await releasePending(db, row.id, person.id);
      decisions.push(screened);
      continue;
    }
    const locale = pickLocale(Object.keys(copy.locales), person.locale);
    const version = locale ? copy.locales[locale] : undefined;
    if (!version) continue;
    const reservation = await reserve(db, recipient, {
      workspaceId: req.workspaceId,
      touchId: row.id,
      channel: req.channel,
      category: copy.category,
      at: req.at,
      cap: settings.delivery.frequencyCap,
      fresh: claimed.fresh,
    });
    if ("inFlight" in reservation)
      // The activity retries with backoff; by then that attempt has settled or its lease has run out.
      throw new Error(
        `a send to ${reservation.to} is in flight (reserved ${reservation.reservedAt}); retrying after its lease`,
      );
    if (!("id" in reservation)) {
      decisions.push(reservation);
      continue;
    }
    const links = linksFor(deps, context.secret, {
      workspaceId: req.workspaceId,
      touchId: row.id,
      contactId: person.id,
      category: copy.category,
    });
    const rendered = renderTemplate(version, contextOf(person, links.page), {
      layout: req.channel === "email",
    });
    try {
      if (req.channel === "in_app") {
        // Plain text (entities decoded, tags dropped): the widget shows it with textContent, never as HTML.
        const message = { ...inAppParts(rendered.text), style: copy.style ?? "banner" };
        await db
          .insert(inAppMessages)
          .values({
            workspaceId: req.workspaceId,
            contactId: person.id,
            touchId: row.id,
            stepId: req.stepId,
            template: req.template,
            ...message,
          })
          .onConflictDoNothing({ target: [inAppMessages.touchId, inAppMessages.contactId] });
        await settleSend(db, reservation.id, { status: "sent" });
        decisions.push({ to: person.email, decision: "send" });
        delivered.push({ to: person.email, status: "sent" });
        continue;
      }
      const messageId = `<${row.id}.${person.id}@${domainOf(sender.from)}>`;
      const result = await sendMail(
        deps,
        req.workspaceId,
        `${req.enrollmentId}-${req.touchKey}-${person.id}`,
        {
          from: sender.from,
          ...(sender.replyTo ? { replyTo: sender.replyTo } : {}),
          to: person.name ? { name: person.name, address: person.email } : person.email,
          subject: rendered.subject ?? req.template,
          html: tracked(rendered.html, links),
          text: rendered.text,
          messageId,
          date: new Date(req.at),
          headers: {
            "X-Volante-Enrollment": req.enrollmentId,
            "X-Volante-Touch": req.touchKey,
            ...(copy.category === TRANSACTIONAL
              ? {}
              : {
                  // RFC 8058: mail providers unsubscribe with one POST, no page, no login.
                  "List-Unsubscribe": `<${links.unsubscribe}>`,
                  "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                }),
          },
        },
      );
      if (result.ok) {
        await settleSend(db, reservation.id, { status: "sent", messageId });
        decisions.push({ to: person.email, decision: "send" });
        delivered.push({
          to: person.email,
          status: "sent",
          messageId,
          ...(result.file ? { file: result.file } : {}),
        });
      } else {
        await settleSend(db, reservation.id, { status: "failed", reason: result.reason });
        delivered.push({ to: person.email, status: "failed", reason: result.reason });
      }
    } catch (err) {
      // Transient: give the reservation back; the activity retries and this contact is tried again.
      await release(db, reservation.id);
      if ((req.attempt ?? 1) < SMTP_ATTEMPTS) throw err;
      await settleFailedAttempts(db, row, recipient, req, copy.category, err as Error);
      delivered.push({ to: person.email, status: "failed", reason: (err as Error).message });
    }
  }

  const deferred = decisions.filter((d) => d.decision === "quiet_hours");
  const all = [...earlier, ...delivered];
  const detail = {
    recipients: all.filter((d) => d.status === "sent").map((d) => String(d.to)),
    messageIds: all.flatMap((d) => (typeof d.messageId === "string" ? [d.messageId] : [])),
    delivered: all,
    files: all.flatMap((d) => (typeof d.file === "string" ? [d.file] : [])),
    decisions,
    subject: copy.locales[pickLocale(Object.keys(copy.locales), people[0]?.locale) ?? "en"]?.subject ?? null,
  };
  if (deferred.length > 0) {
    const until = deferred.map((d) => d.until).sort()[0] as string;
    await db.update(touches).set({ delivery: detail, updatedAt: new Date() }).where(eq(touches.id, row.id));
    return {
      ...outcomeOf({ ...row, status: "pending", delivery: detail }, false),
      status: "deferred",
      until,
      decisions,
    };
  }
  const sent = all.some((d) => d.status === "sent");
  const failed = all.filter((d) => d.status === "failed");
  const status = sent ? "sent" : failed.length > 0 ? "failed" : "skipped";
  const reason = sent
    ? null
    : failed.length > 0
      ? String(failed[0]?.reason)
      : decisions.map((d) => d.decision).join(", ") || `no contact for ${req.to}`;
  return { ...(await settle(db, row, status, reason, detail)), decisions };
}

/** The last attempt of a transient failure: recorded as failed for that contact, never retried again. */
async function settleFailedAttempts(
  db: Db,
  row: TouchRow,
  r: { contactId: string },
  req: TouchRequest,
  category: string,
  err: Error,
) {
  await db
    .insert(contactSends)
    .values({
      workspaceId: req.workspaceId,
      contactId: r.contactId,
      touchId: row.id,
      channel: req.channel,
      category,
      status: "failed",
      reason: `gave up after ${SMTP_ATTEMPTS} attempts: ${err.message}`,
      sentAt: new Date(req.at),
    })
    .onConflictDoNothing();
}

type OwnerCsm = { name: string | null; email: string };

/** The account's owner CSM, with the name from the CSM directory when it has one. */
async function ownerCsmOf(db: Db, account: typeof accounts.$inferSelect): Promise<OwnerCsm | null> {
  if (!account.ownerCsm) return null;
  const [csm] = await db
    .select({ name: csms.name })
    .from(csms)
    .where(and(eq(csms.workspaceId, account.workspaceId), eq(csms.email, account.ownerCsm)));
  return { name: csm?.name ?? null, email: account.ownerCsm };
}

/** From and Reply-To: the workspace's sender, or the owner CSM for the tiers that get a person. */
function senderFor(settings: Settings, account: typeof accounts.$inferSelect, csm: OwnerCsm | null) {
  if (csm && settings.email.csmSenderTiers.includes(account.tier)) {
    const from = csm.name ? { name: csm.name, address: csm.email } : csm.email;
    return { from, replyTo: csm.email };
  }
  return { from: settings.email.from, replyTo: settings.email.replyTo };
}

function domainOf(from: string | { address: string }): string {
  const address = typeof from === "string" ? (/<([^>]+)>/.exec(from)?.[1] ?? from) : from.address;
  return address.split("@")[1] ?? "volante.local";
}

type Links = { unsubscribe: string; page: string; open: string; click: (url: string) => string };

/** Signed public links for one message to one contact. */
function linksFor(
  deps: DeliveryDeps,
  secret: string,
  m: { workspaceId: string; touchId: string; contactId: string; category: string },
): Links {
  const unsubscribe = `${deps.publicUrl}/u/${signToken(secret, "unsubscribe", { w: m.workspaceId, c: m.contactId, k: m.category })}`;
  return {
    unsubscribe,
    page: unsubscribe,
    open: `${deps.publicUrl}/t/o/${signToken(secret, "open", { w: m.workspaceId, t: m.touchId, c: m.contactId })}`,
    click: (url) =>
      `${deps.publicUrl}/t/c/${signToken(secret, "click", { w: m.workspaceId, t: m.touchId, c: m.contactId, u: url })}`,
  };
}

/** Links through the signed click redirect (not the unsubscribe link), and an open pixel at the end. */
function tracked(html: string, links: Links): string {
  const rewritten = html.replace(/href="(https?:\/\/[^"]+)"/g, (whole, url: string) => {
    // The URL the reader should land on, not its HTML spelling (handlebars writes `=` as `&#x3D;`).
    const decoded = decodeEntities(url);
    return decoded === links.unsubscribe ? whole : `href="${links.click(decoded)}"`;
  });
  const pixel = `<img src="${links.open}" width="1" height="1" alt="" style="display:none">`;
  return rewritten.includes("</body>") ? rewritten.replace("</body>", `${pixel}</body>`) : rewritten + pixel;
}

type SendContext = {
  account: typeof accounts.$inferSelect;
  workspaceName: string;
  csm: OwnerCsm | null;
  /** The account's facts at send time (apps/core/facts.ts): usage and health. */
  facts: Record<string, unknown>;
};

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/**
 * What a template can use (workflows/journey/variables.ts lists it): the account, the contact (whose
 * time zone formatDate uses, else the account's), its CSM, usage and health, renewal dates and links.
 */
function contextFor(
  deps: DeliveryDeps,
  req: TouchRequest,
  context: SendContext,
  person: Person,
  unsubscribeUrl: string,
) {
  const account = context.account;
  return {
    account: {
      name: account.name,
      externalId: account.externalId,
      tier: account.tier,
      arr: account.arr,
      licenses: account.licenses,
      renewalDate: account.renewalDate,
      contractStart: account.contractStart,
      lifecycleStage: account.lifecycleStage,
      ownerCsm: account.ownerCsm,
      timezone: account.timezone,
      attributes: account.attributes,
    },
    contact: {
      name: person.name,
      firstName: person.name?.split(/\s+/)[0] ?? null,
      email: person.email,
      role: person.role,
      locale: person.locale,
      timezone: person.timezone,
      attributes: person.attributes,
    },
    csm: { name: context.csm?.name ?? null, email: context.csm?.email ?? null },
    usage: {
      licenses: account.licenses,
      activeUsers28d: numberOrNull(context.facts["adoption.active_users_28d"]),
      deploymentRatio: numberOrNull(context.facts["deployment.ratio"]),
      daysSinceLastLogin: numberOrNull(context.facts.days_since_last_login),
    },
    health: { score: account.healthScore, band: account.healthBand },
    renewal: {
      date: account.renewalDate,
      daysToRenewal: account.renewalDate
        ? Math.round((Date.parse(`${account.renewalDate}T00:00:00Z`) - Date.parse(req.at)) / 86_400_000)
        : null,
    },
    links: {
      app: deps.publicUrl,
      unsubscribe: unsubscribeUrl,
      preferences: unsubscribeUrl,
    },
    workspace: { name: context.workspaceName },
    journey: { name: req.journeyName },
  };
}

/**
 * An in-app template is short markdown: a bold first line is the title, a trailing `[label](url)`
 * the call to action, the rest the body. Rendered (and so escaped) before it is split.
 */
export function inAppParts(rendered: string) {
  let text = rendered.trim();
  const title = /^\*\*(.+?)\*\*\s*\n/.exec(text);
  if (title) text = text.slice(title[0].length).trim();
  const cta = /\[([^\]]+)\]\(([^)\s]+)\)\s*$/.exec(text);
  if (cta) text = text.slice(0, cta.index).trim();
  return {
    title: title?.[1] ?? null,
    body: text,
    ctaLabel: cta?.[1] ?? null,
    ctaUrl: cta?.[2] ?? null,
  };
}

type Person = {
  /** Null for the owner CSM (not a contact: no arbiter, no tracking). */
  id: string | null;
  email: string;
  name: string | null;
  role: string | null;
  locale: string | null;
  timezone: string | null;
  attributes: Record<string, unknown>;
  /** The categories the contact unsubscribed from ("*" for all). */
  suppressed?: Set<string>;
};

/** The contacts `to` names, each with its unsubscribes, in one query. */
async function recipients(db: Db, account: typeof accounts.$inferSelect, to: string): Promise<Person[]> {
  if (to === "owner_csm") {
    return account.ownerCsm
      ? [
          {
            id: null,
            email: account.ownerCsm,
            name: null,
            role: null,
            locale: null,
            timezone: null,
            attributes: {},
          },
        ]
      : [];
  }
  const role = to.startsWith("role:") ? to.slice("role:".length) : undefined;
  const rows = await db
    .select({
      contact: contacts,
      // Qualified by hand: in a one-table select drizzle leaves the outer column unqualified.
      suppressed: sql<
        string[]
      >`coalesce((select jsonb_agg(s.category) from suppressions s where s.contact_id = "contacts"."id"), '[]'::jsonb)`,
    })
    .from(contacts)
    .where(
      and(
        eq(contacts.accountId, account.id),
        role ? eq(contacts.role, role as typeof contacts.$inferSelect.role) : undefined,
      ),
    )
    .orderBy(asc(contacts.externalId));
  return rows.map(({ contact: c, suppressed }) => ({
    id: c.id,
    email: c.email,
    name: c.name,
    role: c.role,
    locale: c.locale,
    attributes: c.attributes,
    timezone: c.timezone,
    suppressed: new Set(suppressed),
  }));
}

/** A plain email to a CSM (escalations use it until the escalation inbox exists), exactly once per key. */
export async function notifyCsm(
  deps: DeliveryDeps,
  n: {
    workspaceId: string;
    enrollmentId: string;
    key: string;
    /** The workspace's sender (settings.email.from), which the caller has read. */
    from: string;
    to: string | null;
    subject: string;
    text: string;
    at: string;
  },
): Promise<TouchOutcome> {
  const claimed = await claim(deps.db, {
    workspaceId: n.workspaceId,
    enrollmentId: n.enrollmentId,
    touchKey: n.key,
    stepId: n.key.split(":")[1] ?? n.key,
    channel: "notification",
    template: "csm-notification",
    recipient: n.to ?? "owner_csm",
  });
  if (claimed.done) return outcomeOf(claimed.done, true);
  if (!n.to) return settle(deps.db, claimed.row, "skipped", "no owner CSM", {});
  const messageId = `<${claimed.row.id}@${domainOf(n.from)}>`;
  const result = await sendMail(deps, n.workspaceId, `${n.enrollmentId}-${n.key}`, {
    from: n.from,
    to: n.to,
    subject: n.subject,
    text: n.text,
    messageId,
    date: new Date(n.at),
    headers: { "X-Volante-Enrollment": n.enrollmentId, "X-Volante-Touch": n.key },
  });
  if (!result.ok) return settle(deps.db, claimed.row, "failed", result.reason, { recipients: [n.to] });
  return settle(deps.db, claimed.row, "sent", null, {
    recipients: [n.to],
    messageIds: [messageId],
    files: result.file ? [result.file] : [],
    subject: n.subject,
  });
}

/**
 * A Slack-compatible JSON notification (`text` plus structured detail) to the workspace's webhook,
 * once per key. A transient failure throws so the calling activity retries; the touch row stays
 * pending and the retry posts again with the same idempotency key.
 */
export async function notifyWebhook(
  deps: DeliveryDeps,
  n: {
    workspaceId: string;
    enrollmentId: string;
    key: string;
    url: string;
    text: string;
    detail: Record<string, unknown>;
    attempt: number;
  },
): Promise<TouchOutcome> {
  const claimed = await claim(deps.db, {
    workspaceId: n.workspaceId,
    enrollmentId: n.enrollmentId,
    touchKey: n.key,
    stepId: n.key.split(":")[1] ?? n.key,
    channel: "notification",
    template: "csm-webhook",
    recipient: new URL(n.url).host,
  });
  if (claimed.done) return outcomeOf(claimed.done, true);
  const result = await postWebhook(
    n.url,
    { text: n.text, ...n.detail },
    { idempotencyKey: `${n.enrollmentId}:${n.key}`, attempt: n.attempt, maxAttempts: WEBHOOK_ATTEMPTS },
  );
  return result.ok
    ? settle(deps.db, claimed.row, "sent", null, { recipients: [n.url], status: result.status })
    : settle(deps.db, claimed.row, "failed", result.error, { recipients: [n.url] });
}
