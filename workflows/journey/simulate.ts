import { alwaysRelevantEvents } from "./relevant-events";
import type { JourneyDefinition } from "./schema";
import { type SimAccountResult, type SimOptions, simulateAccount } from "./simulate-account";
import type { SimAccount, SimWindow } from "./simulate-timeline";

export type { RecipientWait, SimAccountResult, SimOptions } from "./simulate-account";
export type { SimAccount, SimWindow } from "./simulate-timeline";

/**
 * The simulator: the same interpreter the Temporal workflow drives, on a virtual clock, over accounts
 * with their event timelines. Answers "who would get what, when, and which CSM gets which escalation".
 */

export type SimSummary = {
  accounts: number;
  /** Enrollments, counting every re-entry; `accountsEnrolled` counts each account once. */
  enrolled: number;
  accountsEnrolled: number;
  touches: number;
  escalations: number;
  exited: number;
  completed: number;
  active: number;
  goals: number;
  /** Touches whose recipient resolved to no one (known contacts, none in that role). */
  touchesWithoutRecipient: number;
  /** Of those, the touches that would first wait for contacts up to their step's bound (the rest are skipped at once). */
  touchesWaitingForRecipients: number;
  /** Touches per step, for the funnel. */
  touchesByStep: Record<string, number>;
};

/** Simulates every account, reporting progress every `progressEvery` accounts. */
export function simulate(
  journey: JourneyDefinition,
  accounts: Iterable<SimAccount>,
  window: SimWindow,
  options: SimOptions & { onProgress?: (done: number) => void; progressEvery?: number } = {},
): { summary: SimSummary; accounts: SimAccountResult[] } {
  const interesting = alwaysRelevantEvents(journey);
  const results: SimAccountResult[] = [];
  const summary: SimSummary = {
    accounts: 0,
    enrolled: 0,
    accountsEnrolled: 0,
    touches: 0,
    escalations: 0,
    exited: 0,
    completed: 0,
    active: 0,
    goals: 0,
    touchesWithoutRecipient: 0,
    touchesWaitingForRecipients: 0,
    touchesByStep: {},
  };
  const every = options.progressEvery ?? 500;
  // Picks change the loads as the simulation goes; the caller's roster stays as it was.
  const routing = options.routing && {
    ...options.routing,
    roster: options.routing.roster.map((c) => ({ ...c })),
  };
  const perAccount: SimOptions = { ...options, ...(routing ? { routing } : {}) };
  for (const account of accounts) {
    const r = simulateAccount(journey, account, window, perAccount, interesting);
    results.push(r);
    summary.accounts++;
    if (r.entries.length > 0) summary.accountsEnrolled++;
    summary.touches += r.touches.length;
    summary.escalations += r.escalations.length;
    for (const entry of r.entries) {
      summary.enrolled++;
      summary[entry.outcome]++;
      if (entry.goalReachedAt) summary.goals++;
    }
    for (const t of r.touches) {
      summary.touchesByStep[t.stepId] = (summary.touchesByStep[t.stepId] ?? 0) + 1;
      if (t.recipients?.length === 0) summary.touchesWithoutRecipient++;
      if (t.waitingForRecipients) summary.touchesWaitingForRecipients++;
    }
    if (options.onProgress && summary.accounts % every === 0) options.onProgress(summary.accounts);
  }
  options.onProgress?.(summary.accounts);
  return { summary, accounts: results };
}
