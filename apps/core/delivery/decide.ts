import type { Settings } from "../workspace/settings";
import { nextSendTime, type QuietHours } from "./quiet-hours";

/**
 * The delivery arbiter: the one decision for one recipient of any send (a journey's email or in-app
 * message, the owner CSM's copy, a CSM notification), for the trace. Pure: the caller gathers the
 * facts; the frequency cap's count is gathered under the per-contact lock by reservations.ts, which
 * reserves a send. The decisions go into the touch's trace. In order of precedence:
 *
 * 1. paused: the journey is paused; the touch is held, unclaimed, until it resumes.
 * 2. already_sent: this touch already reached (or failed for good) this recipient.
 * 3. unsubscribed: from everything, or from the message's category (transactional is exempt).
 * 4. quiet_hours: inside the window in the recipient's time zone; deferred to its end.
 * 5. frequency_cap: the contact's non-transactional sends in the window reached the cap.
 * 6. send.
 *
 * Transactional mail is exempt from category unsubscribes, quiet hours and the cap. CSM mail is
 * internal: no unsubscribes, quiet hours or cap apply to it, only paused and already sent.
 */

export type Decision =
  | { to: string; decision: "paused" }
  | { to: string; decision: "already_sent" }
  | { to: string; decision: "unsubscribed"; category: string }
  | { to: string; decision: "quiet_hours"; until: string; timezone: string }
  | { to: string; decision: "frequency_cap"; max: number; per: string }
  | { to: string; decision: "send" };

/** Receipts, invoices, security notices: whatever the contact must get. */
export const TRANSACTIONAL = "transactional";

/**
 * Mail to a CSM (the owner's copy of a touch, an escalation notice). Not spelled like a template
 * category (those are snake_case), so no template can claim its exemptions.
 */
export const CSM_MAIL = "csm-mail";

export type FrequencyCap = NonNullable<Settings["delivery"]["frequencyCap"]>;

export type SendFacts = {
  to: string;
  /** The message's category: a template's, TRANSACTIONAL, or CSM_MAIL. */
  category: string;
  at: string;
  /** The sending journey is paused (false for sends no journey holds). */
  paused: boolean;
  alreadySent: boolean;
  /** The categories the recipient unsubscribed from ("*" for all). */
  suppressed: ReadonlySet<string>;
  /** The recipient's time zone (the contact's, else the account's, else the workspace default). */
  timezone: string;
  quietHours: QuietHours | null;
  /** The workspace's cap; capFor says whether this send counts against it. */
  cap: FrequencyCap | null;
  /**
   * The recipient's sends counted against the cap in its window, this one excluded. Counted under
   * the reservation's lock, so undefined before: decide then answers as if under the cap, and the
   * reservation decides again with the count.
   */
  recentSends?: number;
};

/** The cap this send counts against: none for transactional and CSM mail. */
export function capFor(facts: Pick<SendFacts, "category" | "cap">): FrequencyCap | null {
  return facts.category === TRANSACTIONAL || facts.category === CSM_MAIL ? null : facts.cap;
}

export function decide(facts: SendFacts): Decision {
  const { to, category } = facts;
  if (facts.paused) return { to, decision: "paused" };
  if (facts.alreadySent) return { to, decision: "already_sent" };
  if (category === CSM_MAIL) return { to, decision: "send" };
  const all = facts.suppressed.has("*");
  if (all || (category !== TRANSACTIONAL && facts.suppressed.has(category)))
    return { to, decision: "unsubscribed", category: all ? "*" : category };
  if (facts.quietHours && category !== TRANSACTIONAL) {
    const until = nextSendTime(new Date(facts.at), facts.timezone, facts.quietHours);
    if (until.getTime() > Date.parse(facts.at))
      return { to, decision: "quiet_hours", until: until.toISOString(), timezone: facts.timezone };
  }
  const cap = capFor(facts);
  if (cap && (facts.recentSends ?? 0) >= cap.max)
    return { to, decision: "frequency_cap", max: cap.max, per: cap.per };
  return { to, decision: "send" };
}

/** The facts of mail to a CSM: none of a contact's preferences or limits apply to it. */
export function csmMailFacts(
  to: string,
  at: string,
  state: { paused: boolean; alreadySent: boolean },
): SendFacts {
  return {
    to,
    category: CSM_MAIL,
    at,
    ...state,
    suppressed: new Set(),
    timezone: "UTC",
    quietHours: null,
    cap: null,
  };
}
