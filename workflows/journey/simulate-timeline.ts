import type { JourneyDefinition } from "./schema";
import { addDuration, calendarDaysUntil, isBefore, startOfDate, wholeDaysSince } from "./time";

/** An account as the simulator sees it: its events in time order, the facts they imply, its triggers. */

/** An account event; `ms` is `at` as epoch milliseconds, kept beside it for speed. */
export type SimEvent = {
  at: string;
  ms: number;
  name: string;
  user?: string;
  properties?: Record<string, unknown>;
};

/** Makes a SimEvent from an ISO instant. */
export function simEvent(
  at: string,
  name: string,
  extra: Omit<SimEvent, "at" | "ms" | "name"> = {},
): SimEvent {
  const ms = Date.parse(at);
  return { at: new Date(ms).toISOString(), ms, name, ...extra };
}

export type SimAccount = {
  externalId: string;
  tier: string;
  stage: string;
  ownerCsm: string | null;
  /** Facts that do not change over the window: arr, licenses, renewal_date, attributes.*, health.*. */
  facts: Record<string, unknown>;
  /** Events in time order. */
  events: SimEvent[];
  /** The account's contacts, when known (real accounts), so touches name who would receive them. */
  contacts?: { email: string; role: string }[];
};

export type SimWindow = { from: string; to: string };

/** When the journey's trigger would first fire for this account inside the window, or null. */
export function triggerTime(
  journey: JourneyDefinition,
  account: SimAccount,
  window: SimWindow,
): string | null {
  return triggerTimes(journey, account, window)[0] ?? null;
}

/**
 * Every time the trigger fires inside the window, in order: each event of an event trigger, else at
 * most once (stages, bands and renewal dates do not change on their own within a simulation).
 */
export function triggerTimes(journey: JourneyDefinition, account: SimAccount, window: SimWindow): string[] {
  const trigger = journey.trigger;
  if (trigger.type === "event") {
    return account.events
      .filter((e) => e.name === trigger.event && !isBefore(e.at, window.from) && isBefore(e.at, window.to))
      .map((e) => e.at);
  }
  const once = firstTriggerTime(journey, account, window);
  return once === null ? [] : [once];
}

function firstTriggerTime(journey: JourneyDefinition, account: SimAccount, window: SimWindow): string | null {
  const trigger = journey.trigger;
  switch (trigger.type) {
    case "manual":
    case "event":
      return window.from;
    case "stage_entered":
      return account.stage === trigger.stage ? window.from : null;
    case "health_band_entered":
      return account.facts["health.band"] === trigger.band ? window.from : null;
    case "renewal_window": {
      const renewal = account.facts.renewal_date;
      if (typeof renewal !== "string") return null;
      const opens = addDuration(startOfDate(renewal), `-P${trigger.daysBefore}D`);
      // An account already inside its window when the simulation starts enters at the start.
      const at =
        isBefore(opens, window.from) && isBefore(window.from, startOfDate(renewal)) ? window.from : opens;
      return !isBefore(at, window.from) && isBefore(at, window.to) ? at : null;
    }
  }
}

/** Facts of an account at an instant: its static facts plus what its events so far imply. */
export function factsAt(account: SimAccount, eventsUpTo: number, at: string): Record<string, unknown> {
  const facts: Record<string, unknown> = { ...account.facts, tier: account.tier, stage: account.stage };
  let lastLogin: string | undefined;
  const activeUsers = new Set<string>();
  const windowStart = Date.parse(at) - 28 * DAY_MS;
  for (let i = eventsUpTo - 1; i >= 0; i--) {
    const e = account.events[i];
    if (!e) continue;
    if (!lastLogin && e.name === "login") lastLogin = e.at;
    if (e.ms < windowStart) {
      if (lastLogin) break;
      continue;
    }
    if (e.user) activeUsers.add(e.user);
  }
  if (lastLogin) facts.days_since_last_login = wholeDaysSince(lastLogin, at);
  facts["adoption.active_users_28d"] = activeUsers.size;
  const licenses = account.facts.licenses;
  if (typeof licenses === "number" && licenses > 0) facts["deployment.ratio"] = activeUsers.size / licenses;
  const renewal = account.facts.renewal_date;
  if (typeof renewal === "string") facts.days_to_renewal = calendarDaysUntil(renewal, at);
  return facts;
}

const DAY_MS = 86_400_000;

/** How many of the account's events happened at or before `at` (binary search: events are in order). */
export function eventsUpTo(account: SimAccount, at: string): number {
  const ms = Date.parse(at);
  let low = 0;
  let high = account.events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((account.events[middle]?.ms ?? Number.POSITIVE_INFINITY) <= ms) low = middle + 1;
    else high = middle;
  }
  return low;
}
