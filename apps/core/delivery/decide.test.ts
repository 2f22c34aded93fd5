import { describe, expect, it } from "vitest";
import { CSM_MAIL, capFor, csmMailFacts, decide, type SendFacts, TRANSACTIONAL } from "./decide";

const at = "2026-03-02T23:30:00.000Z";
/** A contact in Tokyo, nothing in the way: 08:30 local, outside 21:00–08:00 quiet hours. */
const base: SendFacts = {
  to: "ana@acme.example",
  category: "onboarding",
  at,
  paused: false,
  alreadySent: false,
  suppressed: new Set(),
  timezone: "Asia/Tokyo",
  quietHours: { start: "21:00", end: "08:00" },
  cap: { max: 2, per: "P7D" },
  recentSends: 0,
};
/** 22:30 in Berlin: inside the quiet window, released at 08:00 local (07:00Z). */
const night: Partial<SendFacts> = { timezone: "Europe/Berlin", at: "2026-03-02T21:30:00.000Z" };

describe("decide", () => {
  it("sends when nothing is in the way", () => {
    expect(decide(base)).toEqual({ to: "ana@acme.example", decision: "send" });
  });

  it("holds every send of a paused journey, before anything else", () => {
    expect(
      decide({
        ...base,
        ...night,
        paused: true,
        alreadySent: true,
        suppressed: new Set(["*"]),
        recentSends: 9,
      }),
    ).toEqual({ to: "ana@acme.example", decision: "paused" });
  });

  it("skips a recipient the touch already reached, before their unsubscribes, quiet hours and cap", () => {
    expect(
      decide({ ...base, ...night, alreadySent: true, suppressed: new Set(["*"]), recentSends: 9 }),
    ).toEqual({
      to: "ana@acme.example",
      decision: "already_sent",
    });
  });

  it("refuses an unsubscribed contact: everything, or the message's category, before quiet hours", () => {
    expect(decide({ ...base, ...night, suppressed: new Set(["*"]), recentSends: 9 })).toEqual({
      to: "ana@acme.example",
      decision: "unsubscribed",
      category: "*",
    });
    expect(decide({ ...base, suppressed: new Set(["onboarding"]) })).toMatchObject({
      decision: "unsubscribed",
      category: "onboarding",
    });
    expect(decide({ ...base, suppressed: new Set(["renewal"]) }).decision).toBe("send");
  });

  it("defers to the end of quiet hours in the recipient's zone, before the cap", () => {
    expect(decide({ ...base, ...night, recentSends: 9 })).toEqual({
      to: "ana@acme.example",
      decision: "quiet_hours",
      until: "2026-03-03T07:00:00.000Z",
      timezone: "Europe/Berlin",
    });
    expect(decide({ ...base, ...night, quietHours: null }).decision).toBe("send");
  });

  it("caps a contact whose sends in the window reached the maximum", () => {
    expect(decide({ ...base, recentSends: 2 })).toEqual({
      to: "ana@acme.example",
      decision: "frequency_cap",
      max: 2,
      per: "P7D",
    });
    expect(decide({ ...base, recentSends: 1 }).decision).toBe("send");
    expect(decide({ ...base, cap: null, recentSends: 50 }).decision).toBe("send");
  });

  it("answers as if under the cap before the count is known (the reservation counts and decides again)", () => {
    const { recentSends: _, ...uncounted } = base;
    expect(decide(uncounted).decision).toBe("send");
  });

  it("lets transactional mail through quiet hours, the cap and category opt-outs, but not an opt-out from all", () => {
    const receipt = { ...base, ...night, category: TRANSACTIONAL, recentSends: 9 };
    expect(decide({ ...receipt, suppressed: new Set([TRANSACTIONAL, "onboarding"]) }).decision).toBe("send");
    expect(decide({ ...receipt, suppressed: new Set(["*"]) }).decision).toBe("unsubscribed");
    expect(capFor(receipt)).toBeNull();
  });

  it("sends CSM mail at any hour and uncapped, unless paused or already sent", () => {
    const csm = {
      ...csmMailFacts("csm@volante.example", night.at as string, { paused: false, alreadySent: false }),
    };
    expect(csm.category).toBe(CSM_MAIL);
    expect(decide({ ...csm, quietHours: base.quietHours, cap: base.cap, recentSends: 9 })).toEqual({
      to: "csm@volante.example",
      decision: "send",
    });
    expect(capFor({ ...csm, cap: base.cap })).toBeNull();
    expect(decide({ ...csm, suppressed: new Set(["*"]) }).decision).toBe("send");
    expect(decide({ ...csm, paused: true }).decision).toBe("paused");
    expect(decide({ ...csm, alreadySent: true }).decision).toBe("already_sent");
  });
});
