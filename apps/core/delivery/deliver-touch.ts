import {
  type Delivered,
  type DeliveryDeps,
  fileOf,
  headersOf,
  type Reached,
  type Touch,
  type TouchRequest,
} from "./carried-touch";
import { sendEmail, trackedEmail } from "./channels/email";
import { storeInAppMessage } from "./channels/in-app";
import { csmMailFacts, type Decision, decide, type SendFacts, TRANSACTIONAL } from "./decide";
import { linksFor } from "./links";
import { messageContext } from "./message-context";
import { toOwnerCsm } from "./owner-csm-copy";
import { recipientsOrWait } from "./recipient-wait";
import type { Person } from "./recipients";
import { pickLocale, renderMessage } from "./render";
import { doneFor, recordGaveUp, release, reserve, type SendAttempt } from "./reservations";
import { loadRunContext, type RunContext } from "./run-context";
import { domainOf, senderFor } from "./sender";
import { copyOf, factsAt, ownerCsmFor, peopleOf } from "./touch-inputs";
import { countTouch } from "./touch-metrics";
import { claim, keepPending, outcomeOf, settle, settleLater, type TouchOutcome } from "./touch-record";
import { type SendResult, WriteBatch } from "./write-batch";

/**
 * The one path every touch takes. The `touches` row is the idempotency record (touch-record.ts);
 * `contact_sends` records each contact reached, so a retried or deferred touch skips them. Every
 * message, the owner CSM's copy included, passes the arbiter (decide.ts: paused, already sent,
 * unsubscribes, quiet hours, frequency cap); email goes to SMTP or the dev outbox with signed
 * unsubscribe and tracking links (channels/email.ts); in-app messages are stored for the widget
 * (channels/in-app.ts).
 */

export type { DeliveryDeps, TouchRequest } from "./carried-touch";

/**
 * Attempts of a transient SMTP failure before the contact is recorded as failed: with the journey's
 * backoff (1 s doubling to 5 min) about 20 minutes of a mail server being away, which also leaves
 * room for the attempts a retry spends waiting out a dead attempt's send lease.
 */
export const SMTP_ATTEMPTS = 12;

/**
 * Sends one journey touch to every contact its `to` names, exactly once each, through the arbiter.
 * Contacts in quiet hours are deferred: the outcome says until when, the touch stays pending, and
 * the run calls again then (contacts already done are skipped). So is a touch whose contacts do not
 * exist yet, up to its bound (recipient-wait.ts). While the journey is paused the
 * touch is held: nothing is sent or recorded, and the run calls again once resumed.
 * `loaded`: the run's context when the caller already read it (a transition reads it once for all
 * its touches). `batch`: where the caller holds the touch's last writes (its settlement, its sends'),
 * to write them with its own; without one they are written before this returns.
 */
export async function deliverTouch(
  deps: DeliveryDeps,
  req: TouchRequest,
  loaded?: RunContext,
  batch?: WriteBatch,
): Promise<TouchOutcome> {
  const writes = batch ?? new WriteBatch();
  let outcome: TouchOutcome;
  try {
    outcome = await carryOut(deps, req, writes, loaded);
  } catch (err) {
    // What the touch did before the failure (a message to another contact) is written now: the retry
    // must find it settled, not pending, or it would send it again.
    await writes.flushAfter(deps.db, err, deps.log);
    throw err;
  }
  if (!batch) await writes.flush(deps.db);
  // A touch found done (a retry, a replay) was counted when it was carried out.
  if (deps.metrics && !outcome.duplicate) countTouch(deps.metrics, req.channel, outcome);
  return outcome;
}

async function carryOut(
  deps: DeliveryDeps,
  req: TouchRequest,
  writes: WriteBatch,
  loaded?: RunContext,
): Promise<TouchOutcome> {
  const { db } = deps;
  const context = loaded ?? (await loadRunContext(db, req.workspaceId, req.enrollmentId, deps.log));
  // A paused journey's (or enrollment's) touch is decided before it is claimed: no touch record is
  // left, and the run calls again once resumed.
  if (context?.journeyStatus === "paused" || context?.enrollmentPausedAt)
    return holdWhilePaused(deps, req, context);

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
  if (!context) return settle(deps, row, "failed", "enrollment not found", {});
  const { account, settings } = context;

  const found = await recipientsOrWait(deps, account, row, req, await peopleOf(db, context, req.to));
  if ("outcome" in found) return found.outcome;
  const { people } = found;

  const copy = await copyOf(db, deps.fileTemplates, context, req.template);
  if (!copy) return settle(deps, row, "failed", `unknown template ${req.template}`, {});
  // A touch this call claimed has reached no one yet.
  const done = claimed.fresh ? new Set<string>() : await doneFor(db, row.id);
  const csm = await ownerCsmFor(db, context);
  const touch: Touch = {
    deps,
    req,
    row,
    fresh: claimed.fresh,
    writes,
    copy,
    sender: senderFor(settings, account, csm),
    secret: context.secret,
    about: {
      account,
      workspace: context.workspace,
      journeyName: req.journeyName,
      csm,
      facts: await factsAt(db, context, req.at),
      at: req.at,
    },
  };

  const earlier = (row.delivery as { delivered?: Delivered[] }).delivered ?? [];
  const decisions: Decision[] = [];
  const delivered: Delivered[] = [];
  for (const person of people) {
    const reached = person.id
      ? await toContact(
          touch,
          person.id,
          person,
          // Running: a paused journey was held before the claim.
          contactFacts(person, copy.category, req, context, {
            paused: false,
            alreadySent: done.has(person.id),
          }),
        )
      : await toOwnerCsm(touch, person, {
          paused: false,
          alreadySent: earlier.some((d) => d.to === person.email),
        });
    if (reached.decision) decisions.push(reached.decision);
    if (reached.delivered) delivered.push(reached.delivered);
  }
  return conclude(touch, decisions, [...earlier, ...delivered]);
}

/** What decide() knows of one contact of a touch. */
function contactFacts(
  person: Person,
  category: string,
  req: TouchRequest,
  context: RunContext,
  state: { paused: boolean; alreadySent: boolean },
): SendFacts {
  const { account, settings } = context;
  return {
    to: person.email,
    category,
    at: req.at,
    ...state,
    suppressed: person.suppressed ?? new Set(),
    timezone: person.timezone ?? account.timezone ?? settings.delivery.defaultTimezone,
    quietHours: settings.delivery.quietHours,
    cap: settings.delivery.frequencyCap,
  };
}

/**
 * A touch of a paused journey: decide() answers `paused` for each recipient (it comes first), and
 * nothing is sent, claimed or recorded.
 */
async function holdWhilePaused(
  deps: DeliveryDeps,
  req: TouchRequest,
  context: RunContext,
): Promise<TouchOutcome> {
  const people = await peopleOf(deps.db, context, req.to);
  const copy = await copyOf(deps.db, deps.fileTemplates, context, req.template);
  const paused = { paused: true, alreadySent: false };
  const decisions = people.flatMap((person) => {
    if (person.id) return copy ? [decide(contactFacts(person, copy.category, req, context, paused))] : [];
    return req.channel === "email" ? [decide(csmMailFacts(person.email, req.at, paused))] : [];
  });
  return {
    status: "held",
    reason: context.journeyStatus === "paused" ? "journey_paused" : "enrollment_paused",
    decisions,
    recipients: [],
    duplicate: false,
    messageIds: [],
  };
}

/**
 * A contact: the reservation asks the arbiter (reservations.ts) and reserves a send; a send
 * leaves on the touch's channel with the contact's signed links, and settles the reservation.
 */
async function toContact(t: Touch, contactId: string, person: Person, facts: SendFacts): Promise<Reached> {
  const { deps, req, row, copy } = t;
  const { db } = deps;
  const locale = pickLocale(Object.keys(copy.locales), person.locale);
  const version = locale ? copy.locales[locale] : undefined;
  if (!version) return {};
  const reservation = await reserve(
    db,
    { contactId, email: person.email },
    {
      workspaceId: req.workspaceId,
      touchId: row.id,
      channel: req.channel,
      fresh: t.fresh,
      by: attemptOf(req),
    },
    facts,
  );
  if ("inFlight" in reservation)
    // The activity retries with backoff; by then that attempt has settled, its lease has run out, or
    // (heartbeated) a higher attempt proves it gone.
    throw new Error(
      `a send to ${reservation.to} is in flight (reserved ${reservation.reservedAt}); retrying after its lease`,
    );
  if (!("id" in reservation)) return { decision: reservation };
  const send: Decision = { to: person.email, decision: "send" };
  const links = linksFor(deps.publicUrl, t.secret, {
    workspaceId: req.workspaceId,
    touchId: row.id,
    contactId,
    category: copy.category,
  });
  try {
    const message = await renderMessage(deps.renderer, version, messageContext(t.about, person, links.page), {
      layout: req.channel === "email",
    });
    if (!message.ok) {
      // Past the time limit on a busy machine is not the template's fault: as a transient failure,
      // the reservation is given back and the activity tries again while it has attempts left.
      if (message.overTime) throw new Error(message.reason);
      settleSendLater(t, reservation.id, { status: "failed", reason: message.reason });
      return { delivered: { to: person.email, status: "failed", reason: message.reason } };
    }
    const { rendered } = message;
    if (req.channel === "in_app") {
      await storeInAppMessage(db, {
        workspaceId: req.workspaceId,
        contactId,
        touchId: row.id,
        stepId: req.stepId,
        template: req.template,
        style: copy.style ?? "banner",
        text: rendered.text,
      });
      settleSendLater(t, reservation.id, { status: "sent" });
      return { decision: send, delivered: { to: person.email, status: "sent" } };
    }
    const messageId = `<${row.id}.${contactId}@${domainOf(t.sender.from)}>`;
    const email = trackedEmail(rendered, links, copy.category !== TRANSACTIONAL);
    // What earlier messages of this transition did is written before this one leaves: a crash while
    // it is on the wire must not leave them pending, to be sent again.
    await t.writes.flush(db);
    const result = await sendEmail(deps, {
      workspaceId: req.workspaceId,
      name: fileOf(req, contactId),
      from: t.sender.from,
      replyTo: t.sender.replyTo,
      to: person.name ? { name: person.name, address: person.email } : person.email,
      subject: rendered.subject ?? req.template,
      html: email.html,
      text: rendered.text,
      messageId,
      at: req.at,
      headers: { ...headersOf(req), ...email.headers },
    });
    if (!result.ok) {
      settleSendLater(t, reservation.id, { status: "failed", reason: result.reason });
      return { delivered: { to: person.email, status: "failed", reason: result.reason } };
    }
    settleSendLater(t, reservation.id, { status: "sent", messageId });
    return {
      decision: send,
      delivered: {
        to: person.email,
        status: "sent",
        messageId,
        subject: rendered.subject ?? null,
        ...(result.file ? { file: result.file } : {}),
      },
    };
  } catch (err) {
    // Transient: give the reservation back; the activity retries and this contact is tried again.
    await release(db, reservation.id, attemptOf(req));
    if ((req.attempt ?? 1) < SMTP_ATTEMPTS) throw err;
    const reason = (err as Error).message;
    // The last attempt: recorded as failed for that contact, never retried again.
    await recordGaveUp(db, {
      workspaceId: req.workspaceId,
      contactId,
      touchId: row.id,
      channel: req.channel,
      category: copy.category,
      at: req.at,
      reason: `gave up after ${SMTP_ATTEMPTS} attempts: ${reason}`,
    });
    return { delivered: { to: person.email, status: "failed", reason } };
  }
}

/**
 * How the touch ends: deferred (quiet hours: stays pending with what it did so far),
 * or settled as sent, failed or skipped. `all`: every delivery, this attempt's and earlier ones'.
 */
async function conclude(t: Touch, decisions: Decision[], all: Delivered[]): Promise<TouchOutcome> {
  const { deps, req, row } = t;
  const detail = {
    recipients: all.filter((d) => d.status === "sent").map((d) => String(d.to)),
    messageIds: all.flatMap((d) => (typeof d.messageId === "string" ? [d.messageId] : [])),
    delivered: all,
    files: all.flatMap((d) => (typeof d.file === "string" ? [d.file] : [])),
    decisions,
    // As sent (the first message's), not the template's `{{workspace.name}}`; none when nothing was sent.
    subject: all.flatMap((d) => (typeof d.subject === "string" ? [d.subject] : []))[0] ?? null,
  };
  const deferred = decisions.filter((d) => d.decision === "quiet_hours");
  if (deferred.length > 0) {
    const until = deferred.map((d) => d.until).sort()[0] as string;
    await keepPending(deps, row, detail);
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
  return { ...settleLater(deps, t.writes, row, status, reason, detail), decisions };
}

/** A reservation's settlement, written with the transition's last writes (or before the next message leaves). */
function settleSendLater(t: Touch, id: string, result: SendResult): void {
  t.writes.settleSend(id, result);
}

/** The activity attempt carrying out the touch, as reservations know it. */
function attemptOf(req: TouchRequest): SendAttempt {
  return { attempt: req.attempt ?? 1, heartbeated: req.heartbeated ?? false };
}
