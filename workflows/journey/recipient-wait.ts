import { DEFAULT_RECIPIENT_WAIT } from "./schema";
import { addDuration } from "./time";

/**
 * A touch whose `to` names no contact yet waits for one up to its step's bound, then is skipped with
 * `noRecipient(to)` (decision 0025). One rule for delivery (apps/core/delivery/recipient-wait.ts) and
 * the simulator. The owner CSM is never waited for: no contact write can bring one.
 */

/** The reason of a touch deferred because its recipients do not exist yet: its trace entry's kind too. */
export const WAITING_FOR_RECIPIENTS = "waiting_for_recipients";

/** The reason a touch that reached no one is skipped with, in the trace and in the simulation. */
export function noRecipient(to: string): string {
  return `no recipient for ${to}`;
}

/** Whether a touch to `to` waits for recipients when there are none. */
export function waitsForRecipients(to: string): boolean {
  return to !== "owner_csm";
}

/** Until when a touch due `at` waits for recipients: `at` itself when the bound is PT0S (it does not wait). */
export function recipientWaitUntil(at: string, bound: string | undefined): string {
  return addDuration(at, bound ?? DEFAULT_RECIPIENT_WAIT);
}
