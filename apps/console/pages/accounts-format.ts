import type { Locale } from "../i18n";

/**
 * Dates, times and amounts of the accounts pages in the person's language. Times are shown in UTC
 * and say so: a person's own time zone is not known to the console yet.
 */
export function formatDay(locale: Locale, day: string | null): string | null {
  if (!day) return null;
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" }).format(date);
}

export function formatTime(locale: Locale, iso: string | null): string | null {
  if (!iso) return null;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "UTC",
    timeZoneName: "short",
  }).format(date);
}

/** A short day label for chart axes, e.g. "Dec 7" / "12月7日". */
export function formatShortDay(locale: Locale, iso: string): string {
  return new Intl.DateTimeFormat(locale, { month: "short", day: "numeric", timeZone: "UTC" }).format(
    new Date(iso),
  );
}

export function formatAmount(locale: Locale, amount: number | null): string | null {
  if (amount === null) return null;
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(amount);
}
