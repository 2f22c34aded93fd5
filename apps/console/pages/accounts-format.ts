import type { Locale } from "../i18n";

/**
 * Dates, times and amounts of the accounts pages in the person's language. Times are shown in the
 * person's zone (SignedIn.timeZone) and name it; calendar days (a renewal date) are days, in no zone.
 */
export function formatDay(locale: Locale, day: string | null): string | null {
  if (!day) return null;
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" }).format(date);
}

/** A moment in the person's zone, named: "Dec 7, 2026, 09:30 AM GMT+9". */
export function formatTime(locale: Locale, at: Date | string | null, timeZone: string): string | null {
  if (!at) return null;
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return String(at);
  return new Intl.DateTimeFormat(locale, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
    timeZoneName: "short",
  }).format(date);
}

/** A short day label for chart axes, e.g. "Dec 7" / "12月7日", the day in the person's zone. */
export function formatShortDay(locale: Locale, iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(locale, { month: "short", day: "numeric", timeZone }).format(new Date(iso));
}

export function formatAmount(locale: Locale, amount: number | null): string | null {
  if (amount === null) return null;
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(amount);
}
