import { describe, expect, it } from "vitest";
import { chooseAssignee, pickFromRoster, type RosterCsm, recordPick, stepAssignee } from "./assignment";

const csm = (email: string, over: Partial<RosterCsm> = {}): RosterCsm => ({
  email,
  tiers: [],
  capacity: null,
  openLoad: 0,
  lastPick: null,
  ...over,
});

describe("the assignment rule", () => {
  it("takes the step's assignee, or the account's owner CSM, before any pick", () => {
    expect(stepAssignee("owner_csm", "own@v.example")).toBe("own@v.example");
    expect(stepAssignee("owner_csm", null)).toBeNull();
    expect(stepAssignee("named@v.example", "own@v.example")).toBe("named@v.example");
    expect(
      chooseAssignee({ explicit: "own@v.example", tier: "x" }, [csm("a@v.example")], "f@v.example"),
    ).toEqual({ assignee: "own@v.example", via: "step" });
  });

  it("picks the least loaded CSM serving the tier with room, then the one picked longest ago, then by email", () => {
    const roster = [
      csm("busy@v.example", { openLoad: 3 }),
      csm("recent@v.example", { openLoad: 1, lastPick: 200 }),
      csm("older@v.example", { openLoad: 1, lastPick: 100 }),
      csm("other-tier@v.example", { tiers: ["high_touch"] }),
      csm("full@v.example", { capacity: 0 }),
    ];
    expect(pickFromRoster(roster, "low_touch")?.email).toBe("older@v.example");
    expect(pickFromRoster(roster, "high_touch")?.email).toBe("other-tier@v.example");
    expect(pickFromRoster([csm("b@v.example"), csm("a@v.example")], "t")?.email).toBe("a@v.example");
  });

  it("goes to the fallback owner when nobody serves the tier or everyone is at capacity, else to nobody", () => {
    const full = [
      csm("full@v.example", { capacity: 1, openLoad: 1 }),
      csm("hi@v.example", { tiers: ["high_touch"] }),
    ];
    expect(chooseAssignee({ explicit: null, tier: "tech_touch" }, full, "f@v.example")).toEqual({
      assignee: "f@v.example",
      via: "fallback",
    });
    expect(chooseAssignee({ explicit: null, tier: "tech_touch" }, full, null)).toEqual({
      assignee: null,
      via: "nobody",
    });
  });

  it("sends the next pick to someone else once a pick is recorded, until capacity runs out", () => {
    const roster = [csm("a@v.example", { capacity: 1 }), csm("b@v.example", { capacity: 2 })];
    const picks: (string | null)[] = [];
    for (let i = 0; i < 4; i++) {
      const choice = chooseAssignee({ explicit: null, tier: "t" }, roster, "f@v.example");
      if (choice.via === "round_robin" && choice.assignee) recordPick(roster, choice.assignee);
      picks.push(choice.assignee);
    }
    expect(picks).toEqual(["a@v.example", "b@v.example", "b@v.example", "f@v.example"]);
  });
});
