import { and, count, eq, gt, isNull, ne, sql } from "drizzle-orm";
import { builtOnce, type Db } from "../../../db/client";
import { contactSends } from "../../../db/schema/index";
import { addDuration } from "../../../workflows/journey/time";
import { capFor, type Decision, decide, type SendFacts, TRANSACTIONAL } from "./decide";

/**
 * Send reservations (docs/decisions/0014-send-reservations.md): `contact_sends` holds one row per
 * message to one contact, what the frequency cap counts and what a retried touch skips. `reserve`
 * gathers the facts only the database knows (an earlier reservation of the touch, the contact's
 * recent sends) under a per-contact lock and asks decide.ts; a send is written as a reservation, a
 * refusal is returned for the trace.
 */

export type Recipient = { contactId: string; email: string };

/** `contact_sends.status` while the message is on its way: reserved, not yet accepted by the transport. */
const PENDING = "pending" as const;

/**
 * How long a pending reservation belongs to the attempt that took it. Longer than one send can take
 * (the SMTP timeouts in mailer.ts add up to under a minute), so an attempt that outlived its
 * activity's timeout and is still sending is never doubled by the retry; after a crash the retry
 * waits this long, then sends again.
 */
export const SEND_LEASE_SECONDS = 90;

/**
 * Who asks for a reservation: the activity attempt, and whether it is an attempt of the heartbeated
 * (regular) delivery activity. Temporal schedules attempt n+1 of such an activity only once attempt n
 * failed or stopped heartbeating, so a higher attempt takes the reservation over at once instead of
 * waiting out the lease (decision 0043). A local activity's retry proves nothing: it keeps the lease.
 */
export type SendAttempt = { attempt: number; heartbeated: boolean };

/** Another attempt is sending to this contact right now: retry later, do not send. */
export type InFlight = { inFlight: true; to: string; reservedAt: string | null };

/**
 * Decides for one contact of a touch; a send is reserved (written), a refusal returned. A send is reserved under a
 * per-contact lock: two journeys sending to one person at the same moment are serialised, so the cap
 * holds. The reservation is `pending` until the transport accepts the message (write-batch.ts settles it); a
 * pending reservation found by a retry means the attempt before died half-way, so it is handed back
 * to send again (same Message-ID): at least once, never zero times. Returns the reservation id, or
 * the decision not to send.
 *
 * `facts`: as known before the lock; under it the reservation reads again whether the touch reached
 * the contact, and counts their recent sends against the cap. `fresh`: the touch was created by this attempt, so no earlier reservation of it can exist.
 * Without a cap to count against, such a send takes neither the lock nor the lookup: the insert,
 * unique on (touch, contact), is the whole reservation.
 */
export async function reserve(
  db: Db,
  r: Recipient,
  send: {
    workspaceId: string;
    touchId: string;
    channel: "email" | "in_app";
    fresh?: boolean;
    by?: SendAttempt;
  },
  facts: SendFacts,
): Promise<{ id: string } | Decision | InFlight> {
  // Refused before counting: the count can only add the cap, which comes last.
  const uncounted = decide(facts);
  if (uncounted.decision !== "send") {
    // A contact now refused after an attempt died holding their reservation: drop it, so it neither
    // counts against the cap nor waits forever. A paused touch keeps it for when it resumes.
    if (!send.fresh && (uncounted.decision === "unsubscribed" || uncounted.decision === "quiet_hours"))
      await releasePending(db, send.touchId, r.contactId);
    return uncounted;
  }
  const cap = capFor(facts);
  const attempt = send.by?.heartbeated ? send.by.attempt : null;
  const row = { ...send, attempt, category: facts.category, at: facts.at };
  if (send.fresh && !cap) return insertReservation(db, r, row, facts);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`send:${r.contactId}`}))`);
    const [earlier] = await tx
      .select({
        id: contactSends.id,
        status: contactSends.status,
        reservedAt: contactSends.reservedAt,
        attempt: contactSends.attempt,
        leased: sql<boolean>`coalesce(${contactSends.reservedAt} > now() - make_interval(secs => ${SEND_LEASE_SECONDS}), false)`,
      })
      .from(contactSends)
      .where(and(eq(contactSends.touchId, send.touchId), eq(contactSends.contactId, r.contactId)));
    if (earlier && earlier.status !== PENDING) return decide({ ...facts, alreadySent: true });
    if (earlier?.leased && !supersedes(attempt, earlier.attempt))
      return { inFlight: true, to: r.email, reservedAt: earlier.reservedAt?.toISOString() ?? null };
    // Already counted by the cap: an interrupted send is resumed, not capped by its own reservation.
    if (earlier) {
      await tx
        .update(contactSends)
        .set({ reservedAt: sql`now()`, attempt })
        .where(eq(contactSends.id, earlier.id));
      return { id: earlier.id };
    }
    if (!cap) return insertReservation(tx, r, row, facts);
    const since = new Date(addDuration(facts.at, `-${cap.per}`));
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
    const decision = decide({ ...facts, recentSends: used?.n ?? 0 });
    return decision.decision === "send" ? insertReservation(tx, r, row, facts) : decision;
  });
}

/**
 * A later attempt of the heartbeated activity supersedes the one holding the reservation: Temporal
 * started it only after that one was gone. A reservation a local activity took (no attempt recorded)
 * is only ever taken over once its lease has run out.
 */
function supersedes(mine: number | null, holder: number | null): boolean {
  return mine !== null && holder !== null && mine > holder;
}

/** The pending reservation; a concurrent attempt of the same touch that got there first wins. */
async function insertReservation(
  db: Db,
  r: Recipient,
  send: {
    workspaceId: string;
    touchId: string;
    channel: "email" | "in_app";
    category: string;
    at: string;
    attempt: number | null;
  },
  facts: SendFacts,
): Promise<{ id: string } | Decision> {
  const [row] = await reservationInsert(db).execute({
    workspaceId: send.workspaceId,
    contactId: r.contactId,
    touchId: send.touchId,
    channel: send.channel,
    category: send.category,
    sentAt: new Date(send.at),
    attempt: send.attempt,
  });
  return row ? { id: row.id } : decide({ ...facts, alreadySent: true });
}

/** The reservation's insert: most sends make one, so it is built once and prepared (decision 0045). */
const reservationInsert = builtOnce((db) => {
  const p = sql.placeholder;
  return db
    .insert(contactSends)
    .values({
      workspaceId: p("workspaceId"),
      contactId: p("contactId"),
      touchId: p("touchId"),
      channel: p("channel"),
      category: p("category"),
      status: PENDING,
      sentAt: p("sentAt"),
      attempt: p("attempt"),
    })
    .onConflictDoNothing({ target: [contactSends.touchId, contactSends.contactId] })
    .returning({ id: contactSends.id })
    .prepare("reservation_insert");
});

/**
 * A transient failure: give the reservation back so the retry can take it again. Only while it is
 * still this attempt's: a superseded attempt that fails late must not drop the row a later attempt
 * took over (the cap would stop counting that message).
 */
export async function release(db: Db, id: string, by?: SendAttempt): Promise<void> {
  const attempt = by?.heartbeated ? by.attempt : null;
  await db
    .delete(contactSends)
    .where(
      and(
        eq(contactSends.id, id),
        attempt === null ? isNull(contactSends.attempt) : eq(contactSends.attempt, attempt),
      ),
    );
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

/** A contact the transport kept refusing until the last attempt: failed for good, never retried. */
export async function recordGaveUp(
  db: Db,
  send: {
    workspaceId: string;
    contactId: string;
    touchId: string;
    channel: "email" | "in_app";
    category: string;
    at: string;
    reason: string;
  },
): Promise<void> {
  await db
    .insert(contactSends)
    .values({
      workspaceId: send.workspaceId,
      contactId: send.contactId,
      touchId: send.touchId,
      channel: send.channel,
      category: send.category,
      status: "failed",
      reason: send.reason,
      sentAt: new Date(send.at),
    })
    .onConflictDoNothing();
}
