import { evaluate } from "./conditions";
import type { Audience, JourneyDefinition, Reentry } from "./schema";
import { addDuration, isBefore } from "./time";

/** What entry rules read about an account. */
export type AccountSnapshot = { tier: string; stage: string; facts: Record<string, unknown> };

export type EntryDecision = { enter: true } | { enter: false; reason: string };

/** Whether the account is in the journey's audience (tiers, stages and an optional condition). */
export function inAudience(audience: Audience, account: AccountSnapshot): EntryDecision {
  if (audience.tiers && !audience.tiers.includes(account.tier as never)) {
    return { enter: false, reason: `tier ${account.tier} is not in the audience` };
  }
  if (audience.stages && !audience.stages.includes(account.stage as never)) {
    return { enter: false, reason: `stage ${account.stage} is not in the audience` };
  }
  if (audience.where && !evaluate(audience.where, (f) => account.facts[f]).value) {
    return { enter: false, reason: "the audience condition does not hold" };
  }
  return { enter: true };
}

/** Earlier enrollments of the same account in the same journey, newest last. */
export type PastEnrollment = { enteredAt: string; finishedAt?: string | null };

/** Whether the re-entry policy lets the account enter again at `at`. */
export function mayReenter(reentry: Reentry, past: PastEnrollment[], at: string): EntryDecision {
  const last = past.at(-1);
  if (!last) return { enter: true };
  if (!last.finishedAt) return { enter: false, reason: "already enrolled" };
  switch (reentry.policy) {
    case "never":
      return { enter: false, reason: "re-entry policy is never" };
    case "after_exit":
      return { enter: true };
    case "cooldown": {
      const allowedFrom = addDuration(last.finishedAt, reentry.cooldown);
      return isBefore(at, allowedFrom)
        ? { enter: false, reason: `cooling down until ${allowedFrom}` }
        : { enter: true };
    }
  }
}

/** Both entry rules at once: audience first, then re-entry. */
export function mayEnter(
  journey: JourneyDefinition,
  account: AccountSnapshot,
  past: PastEnrollment[],
  at: string,
): EntryDecision {
  const audience = inAudience(journey.audience, account);
  return audience.enter ? mayReenter(journey.reentry, past, at) : audience;
}
