import { describe, expect, it } from "vitest";
import { nextSendTime } from "./quiet-hours";

const quiet = { start: "21:00", end: "08:00" };

describe("quiet hours", () => {
  it("lets a message go in the daytime, holds one at night until 08:00 local", () => {
    const noonTokyo = new Date("2026-06-01T03:00:00Z");
    expect(nextSendTime(noonTokyo, "Asia/Tokyo", quiet)).toEqual(noonTokyo);
    // 23:30 in Tokyo → 08:00 the next morning in Tokyo (23:00 UTC).
    expect(nextSendTime(new Date("2026-06-01T14:30:00Z"), "Asia/Tokyo", quiet).toISOString()).toBe(
      "2026-06-01T23:00:00.000Z",
    );
    // 03:00 in Tokyo → 08:00 the same morning.
    expect(nextSendTime(new Date("2026-06-01T18:00:00Z"), "Asia/Tokyo", quiet).toISOString()).toBe(
      "2026-06-01T23:00:00.000Z",
    );
  });

  it("keeps 08:00 local across the spring and autumn DST changes", () => {
    // New York springs forward on 2026-03-08 at 02:00: 08:00 EDT is 12:00 UTC (it was 13:00 UTC).
    expect(nextSendTime(new Date("2026-03-08T03:30:00Z"), "America/New_York", quiet).toISOString()).toBe(
      "2026-03-08T12:00:00.000Z",
    );
    // Falls back on 2026-11-01: 08:00 EST is 13:00 UTC.
    expect(nextSendTime(new Date("2026-11-01T04:30:00Z"), "America/New_York", quiet).toISOString()).toBe(
      "2026-11-01T13:00:00.000Z",
    );
  });

  it("handles a window that does not wrap midnight", () => {
    const lunch = { start: "12:00", end: "13:00" };
    expect(nextSendTime(new Date("2026-06-01T12:30:00Z"), "UTC", lunch).toISOString()).toBe(
      "2026-06-01T13:00:00.000Z",
    );
    expect(nextSendTime(new Date("2026-06-01T13:00:00Z"), "UTC", lunch).toISOString()).toBe(
      "2026-06-01T13:00:00.000Z",
    );
  });
});
