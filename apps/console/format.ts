import type { Locale } from "./i18n";

/**
 * Numbers, dates and durations in the person's language (Intl), for the console's pages. Times are
 * shown in a given IANA zone; dates without a time (renewal dates) are calendar days, never shifted.
 */
export function formatter(locale: Locale, timeZone = "UTC") {
  const number = new Intl.NumberFormat(locale);
  const change = new Intl.NumberFormat(locale, { signDisplay: "exceptZero" });
  const amount = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const day = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" });
  const time = new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone,
  });
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: "always" });
  return {
    number: (n: number) => number.format(n),
    /** +3, −2, 0: a typographic minus, as people write a decrease. */
    change: (n: number) => change.format(n).replace("-", "−"),
    amount: (n: number) => amount.format(n),
    /** A calendar date (YYYY-MM-DD) as the language writes it. */
    day: (isoDate: string) => day.format(new Date(`${isoDate}T00:00:00Z`)),
    time: (at: Date) => time.format(at),
    /** How far `at` is from `now`: "in 5 hours", "2 days ago", in the largest whole unit. */
    until: (at: Date, now: Date) => {
      const minutes = Math.round((at.getTime() - now.getTime()) / 60_000);
      if (Math.abs(minutes) >= 2 * 1440) return relative.format(Math.trunc(minutes / 1440), "day");
      if (Math.abs(minutes) >= 60) return relative.format(Math.trunc(minutes / 60), "hour");
      return relative.format(minutes, "minute");
    },
  };
}
export type Format = ReturnType<typeof formatter>;

/** A catalog message with `{name}` placeholders filled in. */
export function fill(message: string, values: Record<string, string | number>): string {
  return message.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}
