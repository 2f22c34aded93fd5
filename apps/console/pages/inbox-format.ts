import type { Locale } from "../i18n";

/**
 * How the inbox and the trace page write times, dates and numbers: in the reader's language (Intl)
 * and, for instants, in the reader's time zone.
 */
export type Reading = { locale: Locale; timeZone: string; now: Date };

export function instant(r: Reading, at: Date | string): string {
  return new Intl.DateTimeFormat(r.locale, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: r.timeZone,
  }).format(new Date(at));
}

/** A calendar date (`2027-03-31`) as the reader writes it; no zone: it is the same day everywhere. */
export function calendarDate(r: Reading, date: string): string {
  return new Intl.DateTimeFormat(r.locale, { dateStyle: "medium", timeZone: "UTC" }).format(
    new Date(`${date}T00:00:00Z`),
  );
}

export function shortDate(r: Reading, at: Date): string {
  return new Intl.DateTimeFormat(r.locale, { month: "short", day: "numeric", timeZone: r.timeZone }).format(
    at,
  );
}

export function amount(r: Reading, value: number): string {
  return new Intl.NumberFormat(r.locale, { maximumFractionDigits: 0 }).format(value);
}

const HOUR_MS = 3_600_000;

/** "in 47 hours", "3 days ago": days from two days on, hours from two hours on, else minutes. */
export function fromNow(r: Reading, at: Date): string {
  const ms = at.getTime() - r.now.getTime();
  const abs = Math.abs(ms);
  const format = new Intl.RelativeTimeFormat(r.locale, { numeric: "always" });
  if (abs >= 48 * HOUR_MS) return format.format(Math.trunc(ms / (24 * HOUR_MS)), "day");
  if (abs >= 2 * HOUR_MS) return format.format(Math.trunc(ms / HOUR_MS), "hour");
  return format.format(Math.trunc(ms / 60_000), "minute");
}
