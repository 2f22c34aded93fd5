import { UTCDate } from "@date-fns/utc";
import { add, differenceInCalendarDays } from "date-fns";
import { parse as parseDuration } from "tinyduration";

/**
 * Calendar arithmetic in UTC whatever the process time zone, so a workflow replays the same anywhere.
 * `P1M` from Jan 31 is Feb 28 (date-fns clamps to the end of the month).
 */
export function addDuration(at: string, duration: string): string {
  const parsed = parseDuration(duration);
  const sign = parsed.negative ? -1 : 1;
  return add(new UTCDate(at), {
    years: sign * (parsed.years ?? 0),
    months: sign * (parsed.months ?? 0),
    weeks: sign * (parsed.weeks ?? 0),
    days: sign * (parsed.days ?? 0),
    hours: sign * (parsed.hours ?? 0),
    minutes: sign * (parsed.minutes ?? 0),
    seconds: sign * (parsed.seconds ?? 0),
  }).toISOString();
}

/** Whole calendar days from `from` to `to` (UTC), negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return differenceInCalendarDays(new UTCDate(to), new UTCDate(from));
}

/** A `YYYY-MM-DD` date fact as the instant it starts (UTC midnight). */
export function startOfDate(date: string): string {
  return new UTCDate(`${date.slice(0, 10)}T00:00:00Z`).toISOString();
}

/**
 * The day counts journeys branch on, one definition for the live runs and the simulator:
 * `days_since_last_login` counts whole 24-hour days elapsed (a login last night is 0 days ago)…
 */
export function wholeDaysSince(from: string, at: string): number {
  return Math.floor((Date.parse(at) - Date.parse(from)) / 86_400_000);
}

/** …and `days_to_renewal` counts calendar days (UTC) from `at` to a `YYYY-MM-DD` date. */
export function calendarDaysUntil(date: string, at: string): number {
  return daysBetween(at, startOfDate(date));
}

export function isBefore(a: string, b: string): boolean {
  return Date.parse(a) < Date.parse(b);
}
