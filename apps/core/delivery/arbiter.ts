import { and, count, eq, gt, ne, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { contactSends } from "../../../db/schema/index";
import { addDuration } from "../../../workflows/journey/time";
import type { Settings } from "../workspace/settings";
import { nextSendTime } from "./quiet-hours";

/**
 * The delivery arbiter: one decision per message to one contact, for every channel and journey.
 * In order: already sent (idempotency), unsubscribed (all, or the template's category), quiet hours
 * in the contact's time zone (deferred to the window's end), the frequency cap across journeys
 * (transactional is exempt from the cap and from category unsubscribes). Paused journeys are held
 * before they get here. Every decision is returned for the trace.
 */

export type Decision =
  | { to: string; decision: "send" }
  | { to: string; decision: "already_sent" }
  | { to: string; decision: "unsubscribed"; category: string }
  | { to: string; decision: "quiet_hours"; until: string; timezone: string }
  | { to: string; decision: "frequency_cap"; max: number; per: string };

export const TRANSACTIONAL = "transactional";

export type Recipient = { contactId: string; email: string; timezone: string | null };

/** Decisions that need no reservation: unsubscribed or quiet hours; undefined means "may send". */
export function screen(
  r: Recipient,
  ctx: {
    category: string;
    at: string;
    settings: Settings;
    accountTimezone: string | null;
    suppressed?: Set<string>;
  },
): Decision | undefined {
  if (ctx.suppressed?.has("*") || (ctx.category !== TRANSACTIONAL && ctx.suppressed?.has(ctx.category)))
    return { to: r.email, decision: "unsubscribed", category: ctx.suppressed?.has("*") ? "*" : ctx.category };
  const quiet = ctx.settings.delivery.quietHours;
  if (quiet && ctx.category !== TRANSACTIONAL) {
    const timezone = r.timezone ?? ctx.accountTimezone ?? ctx.settings.delivery.defaultTimezone;
    const until = nextSendTime(new Date(ctx.at), timezone, quiet);
    if (until.getTime() > Date.parse(ctx.at))
      return { to: r.email, decision: "quiet_hours", until: until.toISOString(), timezone };
  }
  return undefined;
}

/** `contact_sends.status` while the message is on its way: reserved, not yet accepted by the transport. */
const PENDING = "pending" as const;

/**
 * How long a pending reservation belongs to the attempt that took it. Longer than one send can take
 * (the SMTP timeouts in mailer.ts add up to under a minute), so an attempt that outlived its
 * activity's timeout and is still sending is never doubled by the retry; after a crash the retry
 * waits this long, then sends again.
 */
export const SEND_LEASE_SECONDS = 90;

/** Another attempt is sending to this contact right now: retry later, do not send. */
export type InFlight = { inFlight: true; to: string; reservedAt: string | null };

/**
 * Reserves the send under a per-contact lock: two journeys sending to one person at the same moment
 * are serialised, so the cap holds. The reservation is `pending` until the transport accepts the
 * message (`settleSend`); a pending reservation found by a retry means the attempt before died
 * half-way, so it is handed back to send again (same Message-ID): at least once, never zero times.
 * Returns the reservation id, or the decision not to send.
 *
 * `fresh`: the touch was created by this attempt, so no earlier reservation of it can exist. Without a
 * cap to count against, such a send takes neither the lock nor the lookup: the insert, unique on
 * (touch, contact), is the whole reservation.
 */
export async function reserve(
  db: Db,
  r: Recipient,
  send: {
    workspaceId: string;
    touchId: string;
    channel: "email" | "in_app";
    category: string;
    at: string;
    cap: Settings["delivery"]["frequencyCap"];
    fresh?: boolean;
  },
): Promise<{ id: string } | Decision | InFlight> {
  // Transactional mail is never capped.
  const cap = send.category === TRANSACTIONAL ? null : send.cap;
  if (send.fresh && !cap) return insertReservation(db, r, send);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`send:${r.contactId}`}))`);
    const [earlier] = await tx
      .select({
        id: contactSends.id,
        status: contactSends.status,
        reservedAt: contactSends.reservedAt,
        leased: sql<boolean>`coalesce(${contactSends.reservedAt} > now() - make_interval(secs => ${SEND_LEASE_SECONDS}), false)`,
      })
      .from(contactSends)
      .where(and(eq(contactSends.touchId, send.touchId), eq(contactSends.contactId, r.contactId)));
    if (earlier && earlier.status !== PENDING) return { to: r.email, decision: "already_sent" };
    if (earlier?.leased)
      return { inFlight: true, to: r.email, reservedAt: earlier.reservedAt?.toISOString() ?? null };
    // Already counted by the cap: an interrupted send is resumed, not capped by its own reservation.
    if (earlier) {
      await tx.update(contactSends).set({ reservedAt: sql`now()` }).where(eq(contactSends.id, earlier.id));
      return { id: earlier.id };
    }
    if (cap) {
      const since = new Date(addDuration(send.at, `-${cap.per}`));
      const [used] = await tx
        .select({ n: count() })
        .from(contactSends)
        .where(
          and(
            eq(contactSends.contactId, r.contactId),
            // Sent, or reserved and on its way.
            ne(contactSends.status, "failed"),
            ne(contactSends.category, TRANSACTIONAL),
            // No upper bound: a send reserved a moment "later" by another run still counts.
            gt(contactSends.sentAt, since),
          ),
        );
      if ((used?.n ?? 0) >= cap.max)
        return { to: r.email, decision: "frequency_cap", max: cap.max, per: cap.per };
    }
    return insertReservation(tx, r, send);
  });
}

/** The pending reservation; a concurrent attempt of the same touch that got there first wins. */
async function insertReservation(
  db: Db,
  r: Recipient,
  send: { workspaceId: string; touchId: string; channel: "email" | "in_app"; category: string; at: string },
): Promise<{ id: string } | Decision> {
  const [row] = await db
    .insert(contactSends)
    .values({
      workspaceId: send.workspaceId,
      contactId: r.contactId,
      touchId: send.touchId,
      channel: send.channel,
      category: send.category,
      status: PENDING,
      sentAt: new Date(send.at),
    })
    .onConflictDoNothing({ target: [contactSends.touchId, contactSends.contactId] })
    .returning({ id: contactSends.id });
  return row ? { id: row.id } : { to: r.email, decision: "already_sent" };
}

/** A transient failure: give the reservation back so the retry can take it again. */
export async function release(db: Db, id: string): Promise<void> {
  await db.delete(contactSends).where(eq(contactSends.id, id));
}

/**
 * A contact the arbiter now refuses (unsubscribed, quiet hours) after an attempt died holding their
 * reservation: drop it, so it neither counts against the cap nor waits forever.
 */
export async function releasePending(db: Db, touchId: string, contactId: string): Promise<void> {
  await db
    .delete(contactSends)
    .where(
      and(
        eq(contactSends.touchId, touchId),
        eq(contactSends.contactId, contactId),
        eq(contactSends.status, PENDING),
      ),
    );
}

export async function settleSend(
  db: Db,
  id: string,
  result: { status: "sent"; messageId?: string } | { status: "failed"; reason: string },
): Promise<void> {
  await db
    .update(contactSends)
    .set(
      result.status === "sent"
        ? { status: "sent" as const, messageId: result.messageId ?? null }
        : { status: "failed", reason: result.reason },
    )
    .where(eq(contactSends.id, id));
}

/**
 * Contacts this touch already reached (or failed for good): a deferred or retried touch skips them.
 * A pending reservation is not done: the attempt that made it may have died before sending.
 */
export async function doneFor(db: Db, touchId: string): Promise<Set<string>> {
  const rows = await db
    .select({ contactId: contactSends.contactId })
    .from(contactSends)
    .where(and(eq(contactSends.touchId, touchId), ne(contactSends.status, PENDING)));
  return new Set(rows.map((r) => r.contactId));
}
