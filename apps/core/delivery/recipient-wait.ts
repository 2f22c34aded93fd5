import type { accounts } from "../../../db/schema/index";
import {
  noRecipient,
  recipientWaitUntil,
  WAITING_FOR_RECIPIENTS,
  waitsForRecipients,
} from "../../../workflows/journey/recipient-wait";
import type { Services } from "../shared/services";
import { type Person, recipients } from "./recipients";
import { keepPending, settle, type TouchOutcome, type TouchRow } from "./touch-record";

/**
 * A touch whose contacts do not exist yet (a CRM sync writes the account first, its contacts a moment
 * later) waits for them up to its step's bound: the touch stays pending, marked with until when, and
 * the run sleeps as it does for quiet hours. A contact saved for the account wakes it
 * (enrollments/wake-for-contacts.ts); past the bound the touch records `no recipient`.
 */

type Waiting = { waitingForRecipients?: { until?: string } };

/**
 * The people `to` names (`people`, as the touch first read them), or how the touch ends for now when there are none: deferred until the bound
 * (the first call sets it, later calls keep it), then skipped. The owner CSM is not waited for: no
 * contact write names one.
 */
export async function recipientsOrWait(
  deps: Pick<Services, "db" | "clock">,
  account: typeof accounts.$inferSelect,
  row: TouchRow,
  req: { to: string; at: string; waitForRecipients?: string },
  people: Person[],
): Promise<{ people: Person[] } | { outcome: TouchOutcome }> {
  if (people.length > 0) return { people };
  const reason = noRecipient(req.to);
  if (!waitsForRecipients(req.to)) return { outcome: await settle(deps, row, "skipped", reason, {}) };

  const until =
    (row.delivery as Waiting).waitingForRecipients?.until ??
    recipientWaitUntil(req.at, req.waitForRecipients);
  if (Date.parse(req.at) >= Date.parse(until)) {
    return { outcome: await settle(deps, row, "skipped", reason, { waitedUntil: until }) };
  }
  // Marked before looking again: a contact saved meanwhile is either seen now, or its write finds
  // this touch waiting and wakes the run (see wake-for-contacts.ts). Either way it is not missed.
  await keepPending(deps, row, { waitingForRecipients: { until } });
  const arrived = await recipients(deps.db, account, req.to);
  if (arrived.length > 0) return { people: arrived };
  return {
    outcome: {
      status: "deferred",
      reason: WAITING_FOR_RECIPIENTS,
      until,
      recipients: [],
      duplicate: false,
      messageIds: [],
    },
  };
}
