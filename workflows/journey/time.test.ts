import { describe, expect, it } from "vitest";
import { calendarDaysUntil, wholeDaysSince } from "./time";

describe("the day counts journeys branch on (shared by live runs and the simulator)", () => {
  it("counts whole elapsed days since a login: last night is 0 days ago, 24 hours is 1", () => {
    expect(wholeDaysSince("2026-03-01T23:00:00Z", "2026-03-02T09:00:00Z")).toBe(0);
    expect(wholeDaysSince("2026-03-01T09:00:00Z", "2026-03-02T09:00:00Z")).toBe(1);
    expect(wholeDaysSince("2026-03-01T09:00:00Z", "2026-03-08T08:59:59Z")).toBe(6);
  });

  it("counts calendar days to a renewal date, whatever the hour", () => {
    expect(calendarDaysUntil("2026-01-03", "2026-01-01T00:00:00Z")).toBe(2);
    expect(calendarDaysUntil("2026-01-03", "2026-01-01T23:59:00Z")).toBe(2);
    expect(calendarDaysUntil("2026-01-03", "2026-01-03T12:00:00Z")).toBe(0);
    expect(calendarDaysUntil("2026-01-03", "2026-01-05T12:00:00Z")).toBe(-2);
  });
});
