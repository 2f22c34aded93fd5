import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { and, asc, eq } from "drizzle-orm";
import MailComposer from "nodemailer/lib/mail-composer";
import type { Db } from "../../db/client";
import { accounts, contacts, enrollments, templates, touches, workspaces } from "../../db/schema";
import { pickLocale, renderTemplate } from "./render";
import type { FileTemplate } from "./templates";
import { postWebhook } from "./webhooks";

/**
 * The one path every touch takes. The `touches` row, unique on (enrollment, touch key), is the
 * idempotency record: a retried activity or a replayed workflow finds it and sends nothing twice.
 * Transport today is the dev outbox (`.eml` files); SMTP, in-app storage, the arbiter (caps, quiet
 * hours, unsubscribes) and signed links arrive with the channels work, on this same path.
 */

export type DeliveryDeps = { db: Db; outboxDir: string; fileTemplates: FileTemplate[]; publicUrl: string };

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
};

export type TouchOutcome = {
  status: "sent" | "skipped" | "failed";
  reason?: string;
  recipients: string[];
  duplicate: boolean;
  messageIds: string[];
};

const FROM = "Volante <noreply@volante.local>";
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

/** Claims the touch key; returns the existing row when it was already carried out. */
async function claim(
  db: Db,
  values: Omit<typeof touches.$inferInsert, "status">,
): Promise<{ done: TouchRow | null; row: TouchRow }> {
  await db
    .insert(touches)
    .values({ ...values, status: "pending" })
    .onConflictDoNothing({ target: [touches.enrollmentId, touches.touchKey] });
  const [row] = await db
    .select()
    .from(touches)
    .where(and(eq(touches.enrollmentId, values.enrollmentId), eq(touches.touchKey, values.touchKey)));
  if (!row) throw new Error(`touch ${values.touchKey} vanished`);
  // `pending` means an earlier attempt stopped half-way: redo it (file names are deterministic).
  return { done: row.status === "pending" ? null : row, row };
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

function fileSafe(text: string): string {
  return text.replace(/[^\w.-]+/g, "_");
}

async function writeEml(
  deps: DeliveryDeps,
  workspaceId: string,
  name: string,
  mail: ConstructorParameters<typeof MailComposer>[0],
): Promise<string> {
  const message = await new MailComposer(mail).compile().build();
  const dir = join(deps.outboxDir, workspaceId);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${fileSafe(name)}.eml`);
  await writeFile(file, message);
  return file;
}

/** Sends one journey touch to every recipient its `to` names, exactly once. */
export async function deliverTouch(deps: DeliveryDeps, req: TouchRequest): Promise<TouchOutcome> {
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

  if (req.channel === "in_app") {
    return settle(db, row, "skipped", "in-app delivery is not available yet", {});
  }

  const [context] = await db
    .select({ account: accounts, workspaceName: workspaces.name })
    .from(enrollments)
    .innerJoin(accounts, eq(accounts.id, enrollments.accountId))
    .innerJoin(workspaces, eq(workspaces.id, enrollments.workspaceId))
    .where(and(eq(enrollments.id, req.enrollmentId), eq(enrollments.workspaceId, req.workspaceId)));
  if (!context) return settle(db, row, "failed", "enrollment not found", {});
  const account = context.account;

  const people = await recipients(db, account, req.to);
  if (people.length === 0) return settle(db, row, "skipped", `no recipient for ${req.to}`, {});

  const copy = await templateCopy(deps, req.workspaceId, req.template);
  if (!copy) return settle(db, row, "failed", `unknown template ${req.template}`, {});

  const messageIds: string[] = [];
  const files: string[] = [];
  for (const [n, person] of people.entries()) {
    const locale = pickLocale(Object.keys(copy), person.locale);
    const version = locale ? copy[locale] : undefined;
    if (!version) continue;
    const rendered = renderTemplate(version, {
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
        attributes: person.attributes,
      },
      csm: { name: null, email: account.ownerCsm },
      usage: { licenses: account.licenses },
      renewal: {
        date: account.renewalDate,
        daysToRenewal: account.renewalDate
          ? Math.round((Date.parse(`${account.renewalDate}T00:00:00Z`) - Date.parse(req.at)) / 86_400_000)
          : null,
      },
      // Signed unsubscribe and preference links come with the channels work.
      links: {
        app: deps.publicUrl,
        unsubscribe: `${deps.publicUrl}/u/pending`,
        preferences: `${deps.publicUrl}/u/pending`,
      },
      workspace: { name: context.workspaceName },
      journey: { name: req.journeyName },
    });
    const messageId = `<${fileSafe(req.touchKey)}.${req.enrollmentId}.${person.id ?? "csm"}@volante.local>`;
    files.push(
      await writeEml(deps, req.workspaceId, `${req.enrollmentId}-${req.touchKey}-${n}`, {
        from: FROM,
        to: person.name ? { name: person.name, address: person.email } : person.email,
        subject: rendered.subject ?? req.template,
        html: rendered.html,
        text: rendered.text,
        messageId,
        date: new Date(req.at),
        headers: { "X-Volante-Enrollment": req.enrollmentId, "X-Volante-Touch": req.touchKey },
      }),
    );
    messageIds.push(messageId);
  }
  return settle(db, row, "sent", null, {
    recipients: people.map((p) => p.email),
    messageIds,
    files,
    subject: copy[pickLocale(Object.keys(copy), people[0]?.locale) ?? "en"]?.subject ?? null,
  });
}

type Person = {
  id: string | null;
  email: string;
  name: string | null;
  role: string | null;
  locale: string | null;
  attributes: Record<string, unknown>;
};

async function recipients(db: Db, account: typeof accounts.$inferSelect, to: string): Promise<Person[]> {
  if (to === "owner_csm") {
    return account.ownerCsm
      ? [{ id: null, email: account.ownerCsm, name: null, role: null, locale: null, attributes: {} }]
      : [];
  }
  const role = to.startsWith("role:") ? to.slice("role:".length) : undefined;
  const rows = await db
    .select()
    .from(contacts)
    .where(
      and(
        eq(contacts.accountId, account.id),
        role ? eq(contacts.role, role as typeof contacts.$inferSelect.role) : undefined,
      ),
    )
    .orderBy(asc(contacts.externalId));
  return rows.map((c) => ({
    id: c.id,
    email: c.email,
    name: c.name,
    role: c.role,
    locale: c.locale,
    attributes: c.attributes,
  }));
}

/** Copy per locale: the workspace's own template overrides the file default of the same key. */
async function templateCopy(
  deps: DeliveryDeps,
  workspaceId: string,
  key: string,
): Promise<Record<string, { subject?: string | null; body: string }> | null> {
  const own = await deps.db
    .select()
    .from(templates)
    .where(and(eq(templates.workspaceId, workspaceId), eq(templates.key, key)));
  if (own.length > 0)
    return Object.fromEntries(own.map((t) => [t.locale, { subject: t.subject, body: t.body }]));
  const file = deps.fileTemplates.find((t) => t.key === key);
  return file ? file.locales : null;
}

/** A plain email to a CSM (escalations use it until the escalation inbox exists), exactly once per key. */
export async function notifyCsm(
  deps: DeliveryDeps,
  n: {
    workspaceId: string;
    enrollmentId: string;
    key: string;
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
  const messageId = `<${fileSafe(n.key)}.${n.enrollmentId}@volante.local>`;
  const file = await writeEml(deps, n.workspaceId, `${n.enrollmentId}-${n.key}`, {
    from: FROM,
    to: n.to,
    subject: n.subject,
    text: n.text,
    messageId,
    date: new Date(n.at),
    headers: { "X-Volante-Enrollment": n.enrollmentId, "X-Volante-Touch": n.key },
  });
  return settle(deps.db, claimed.row, "sent", null, {
    recipients: [n.to],
    messageIds: [messageId],
    files: [file],
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
