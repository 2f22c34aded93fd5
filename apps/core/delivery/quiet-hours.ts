import { TZDate } from "@date-fns/tz";

export type QuietHours = { start: string; end: string };

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

function inWindow(minute: number, quiet: QuietHours): boolean {
  const start = minutes(quiet.start);
  const end = minutes(quiet.end);
  // A window like 21:00–08:00 wraps past midnight.
  return start <= end ? minute >= start && minute < end : minute >= start || minute < end;
}

/**
 * When a message may go out to someone in `timeZone`: `at` itself outside quiet hours, otherwise the
 * end of the quiet window in local wall-clock time. Computed on the zone's calendar (TZDate), so a
 * DST change inside the window moves the UTC instant, never the local hour.
 */
export function nextSendTime(at: Date, timeZone: string, quiet: QuietHours): Date {
  const local = new TZDate(at.getTime(), timeZone);
  const minute = local.getHours() * 60 + local.getMinutes();
  if (!inWindow(minute, quiet)) return at;
  const end = minutes(quiet.end);
  const release = new TZDate(local.getFullYear(), local.getMonth(), local.getDate(), 0, 0, 0, 0, timeZone);
  // Still the evening part of a wrapping window: the release is tomorrow morning.
  if (minute >= end) release.setDate(release.getDate() + 1);
  release.setHours(Math.floor(end / 60), end % 60, 0, 0);
  return new Date(release.getTime());
}
