import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { syntheticAccount, syntheticPopulation } from "./population";
import { JourneyDefinition } from "./schema";
import { simulate } from "./simulate";
import { simulateAccount } from "./simulate-account";
import { type SimAccount, simEvent, triggerTime } from "./simulate-timeline";

const window = { from: "2026-01-01T00:00:00.000Z", to: "2026-04-01T00:00:00.000Z" };

const onboarding = JourneyDefinition.parse({
  key: "onboarding",
  name: "Onboarding",
  trigger: { type: "stage_entered", stage: "onboarding" },
  audience: { tiers: ["tech_touch", "low_touch"] },
  exitWhen: [{ event: "onboarding_completed" }],
  goal: { event: "first_value", exit: false },
  steps: [
    { id: "welcome", type: "email", template: "welcome", to: "role:admin" },
    { id: "d3", type: "wait", duration: "P3D" },
    {
      id: "seats",
      type: "branch",
      if: { fact: "deployment.ratio", op: "lt", value: 0.8 },
      then: "invite",
      else: "login",
    },
    { id: "invite", type: "in_app", template: "invite", to: "role:admin" },
    { id: "login", type: "wait_for_event", event: "login", timeout: "P7D", onTimeout: "call" },
    { id: "tip", type: "email", template: "tip", to: "role:admin", next: null },
    { id: "call", type: "escalate", reason: "No login", priority: "high", sla: "P2D" },
  ],
});

function account(overrides: Partial<SimAccount> = {}): SimAccount {
  return {
    externalId: "acme",
    tier: "tech_touch",
    stage: "onboarding",
    ownerCsm: "hanako@vendor.example",
    facts: { licenses: 4, renewal_date: "2026-06-30" },
    events: [],
    ...overrides,
  };
}

describe("simulator", () => {
  it("plays a quiet account through its timeouts to an escalation for its CSM", () => {
    const r = simulateAccount(onboarding, account(), window);
    expect(r.touches).toEqual([
      {
        at: "2026-01-01T00:00:00.000Z",
        stepId: "welcome",
        channel: "email",
        template: "welcome",
        to: "role:admin",
      },
      {
        at: "2026-01-04T00:00:00.000Z",
        stepId: "invite",
        channel: "in_app",
        template: "invite",
        to: "role:admin",
      },
    ]);
    expect(r.escalations).toEqual([
      {
        at: "2026-01-11T00:00:00.000Z",
        stepId: "call",
        reason: "No login",
        priority: "high",
        sla: "P2D",
        assignee: "hanako@vendor.example",
      },
    ]);
    expect(r).toMatchObject({ outcome: "completed", enteredAt: window.from });
  });

  it("uses the account's own events: a deployed team skips the nudge, a login continues the journey", () => {
    // Four of four licenses active before the branch on day 3: no nudge.
    const users = ["u1", "u2", "u3", "u4"].map((user, i) =>
      simEvent(`2026-01-0${Math.min(i + 1, 3)}T1${i}:00:00Z`, "login", { user }),
    );
    const r = simulateAccount(
      onboarding,
      account({ events: [...users, simEvent("2026-01-06T10:00:00Z", "login", { user: "u1" })] }),
      window,
    );
    expect(r.touches.map((t) => [t.at, t.stepId])).toEqual([
      ["2026-01-01T00:00:00.000Z", "welcome"],
      ["2026-01-06T10:00:00.000Z", "tip"],
    ]);
    expect(r.escalations).toEqual([]);
  });

  it("records goals and exits from the timeline", () => {
    const goal = simulateAccount(
      onboarding,
      account({ events: [simEvent("2026-01-02T10:00:00Z", "first_value")] }),
      window,
    );
    expect(goal.goalReachedAt).toBe("2026-01-02T10:00:00.000Z");
    const exited = simulateAccount(
      onboarding,
      account({ events: [simEvent("2026-01-02T10:00:00Z", "onboarding_completed")] }),
      window,
    );
    expect(exited).toMatchObject({ outcome: "exited", reason: "exit_event:onboarding_completed" });
    expect(exited.touches).toHaveLength(1);
  });

  it("leaves out accounts outside the audience or whose trigger does not fire, saying why", () => {
    expect(simulateAccount(onboarding, account({ tier: "high_touch" }), window)).toMatchObject({
      outcome: "not_enrolled",
      reason: "tier high_touch is not in the audience",
    });
    expect(simulateAccount(onboarding, account({ stage: "renewal" }), window)).toMatchObject({
      outcome: "not_enrolled",
    });
  });

  it("stops at the end of the window and reports the run as still active", () => {
    const short = { from: window.from, to: "2026-01-03T00:00:00.000Z" };
    expect(simulateAccount(onboarding, account(), short)).toMatchObject({ outcome: "active" });
  });

  it("fires a renewal window trigger N days before the renewal date", () => {
    const renewal = JourneyDefinition.parse({
      key: "renewal",
      name: "Renewal",
      trigger: { type: "renewal_window", daysBefore: 120 },
      steps: [{ id: "kickoff", type: "email", template: "kickoff", to: "role:decision_maker" }],
    });
    expect(triggerTime(renewal, account({ facts: { renewal_date: "2026-06-30" } }), window)).toBe(
      "2026-03-02T00:00:00.000Z",
    );
    // Already inside the window when the simulation starts: enters at the start.
    expect(triggerTime(renewal, account({ facts: { renewal_date: "2026-02-01" } }), window)).toBe(
      window.from,
    );
    expect(triggerTime(renewal, account({ facts: { renewal_date: "2027-06-30" } }), window)).toBeNull();
  });

  describe("re-entry", () => {
    const onTrial = (reentry: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      JourneyDefinition.parse({
        key: "trial",
        name: "Trial",
        trigger: { type: "event", event: "trial_started" },
        reentry,
        steps: [
          { id: "hello", type: "email", template: "hello", to: "role:admin" },
          { id: "hold", type: "wait", duration: "P2D" },
        ],
        ...extra,
      });
    // Day 0, day 1 (while the first run still holds), day 3 and day 10.
    const trials = account({
      events: ["01", "02", "04", "11"].map((day) => simEvent(`2026-01-${day}T09:00:00Z`, "trial_started")),
    });
    const entered = (r: { entries: { enteredAt: string }[] }) =>
      r.entries.map((e) => e.enteredAt.slice(0, 10));

    it("enters again at each trigger after the run ended, with after_exit", () => {
      const r = simulateAccount(onTrial({ policy: "after_exit" }), trials, window);
      expect(entered(r)).toEqual(["2026-01-01", "2026-01-04", "2026-01-11"]);
      expect(r.entries.map((e) => [e.outcome, e.finishedAt?.slice(0, 10)])).toEqual([
        ["completed", "2026-01-03"],
        ["completed", "2026-01-06"],
        ["completed", "2026-01-13"],
      ]);
      expect(r.touches.map((t) => t.at.slice(0, 10))).toEqual(["2026-01-01", "2026-01-04", "2026-01-11"]);
    });

    it("waits out the cooldown before entering again, and enters once with never", () => {
      const cooled = simulateAccount(onTrial({ policy: "cooldown", cooldown: "P5D" }), trials, window);
      // The first run ends on day 2: day 3 is inside the cooldown, day 10 is not.
      expect(entered(cooled)).toEqual(["2026-01-01", "2026-01-11"]);
      expect(entered(simulateAccount(onTrial({ policy: "never" }), trials, window))).toEqual(["2026-01-01"]);
    });

    it("counts every enrollment in the summary, and each account once in accountsEnrolled", () => {
      const { summary } = simulate(
        onTrial({ policy: "after_exit" }),
        [trials, account({ externalId: "b" })],
        window,
      );
      expect(summary).toMatchObject({
        accounts: 2,
        enrolled: 3,
        accountsEnrolled: 1,
        completed: 3,
        touches: 3,
      });
    });

    it("applies set_stage to the account: later steps, audiences and entries see the new stage", () => {
      const journey = onTrial(
        { policy: "after_exit" },
        {
          audience: { stages: ["onboarding"] },
          steps: [
            { id: "hello", type: "email", template: "hello", to: "role:admin" },
            { id: "adopt", type: "set_stage", stage: "adoption" },
            {
              id: "check",
              type: "branch",
              if: { fact: "stage", op: "eq", value: "adoption" },
              then: "moved",
              else: "stayed",
            },
            { id: "moved", type: "email", template: "moved", to: "role:admin", next: null },
            { id: "stayed", type: "email", template: "stayed", to: "role:admin" },
          ],
        },
      );
      const r = simulateAccount(journey, trials, window);
      expect(r.touches.map((t) => t.stepId)).toEqual(["hello", "moved"]);
      expect(r).toMatchObject({ stage: "adoption", outcome: "completed" });
      // after_exit would let the later trials in; the audience (onboarding only) no longer does.
      expect(r.entries).toHaveLength(1);
      // The caller's account is left as it was.
      expect(trials.stage).toBe("onboarding");
    });
  });

  it("summarises a synthetic population deterministically", () => {
    const run = () => simulate(onboarding, syntheticPopulation(300, window, onboarding), window);
    const first = run();
    expect(first.summary).toEqual(run().summary);
    expect(first.summary.accounts).toBe(300);
    // Audience: high-touch accounts (about 10%) are left out.
    expect(first.summary.enrolled).toBeGreaterThan(240);
    expect(first.summary.enrolled).toBeLessThan(300);
    expect(first.summary.touchesByStep.welcome).toBe(first.summary.enrolled);
    // Dormant accounts (about a quarter) mostly time out into an escalation.
    expect(first.summary.escalations).toBeGreaterThan(20);
    expect(first.summary.escalations).toBeLessThan(first.summary.enrolled / 2);
    expect(syntheticAccount(7, window)).toEqual(syntheticAccount(7, window));
  });

  it("runs the ten-step benchmark journey over a synthetic population", () => {
    const tenSteps = JourneyDefinition.parse(
      JSON.parse(
        readFileSync(new URL("../../tests/fixtures/ten-step-journey.json", import.meta.url), "utf8"),
      ),
    );
    const { summary } = simulate(tenSteps, syntheticPopulation(200, window, tenSteps), window, {
      engagement: { openRate: 0.4, clickRate: 0.1 },
    });
    expect(summary.enrolled).toBe(200);
    expect(summary.touchesByStep.welcome).toBe(200);
    expect(summary.completed + summary.exited + summary.active).toBe(200);
  });

  describe("a touch whose contacts do not exist yet", () => {
    const synced = JourneyDefinition.parse({
      key: "synced",
      name: "Synced from the CRM",
      trigger: { type: "stage_entered", stage: "onboarding" },
      steps: [
        { id: "welcome", type: "email", template: "welcome", to: "role:admin", waitForRecipients: "PT48H" },
        { id: "h1", type: "wait", duration: "PT1H" },
        { id: "tip", type: "email", template: "tip", to: "role:user" },
        { id: "nudge", type: "in_app", template: "nudge", to: "role:champion" },
        { id: "now", type: "email", template: "now", to: "role:champion", waitForRecipients: "PT0S" },
        { id: "csm", type: "email", template: "csm", to: "owner_csm" },
      ],
    });
    const users = account({
      ownerCsm: null,
      contacts: [{ email: "user@synced.example", role: "user" }],
    });

    it("waits for recipients up to the step's bound, then is skipped as no recipient, and the run waits with it", () => {
      const { summary, accounts } = simulate(synced, [users], window);
      expect(accounts[0]?.touches).toEqual([
        {
          at: "2026-01-01T00:00:00.000Z",
          stepId: "welcome",
          channel: "email",
          template: "welcome",
          to: "role:admin",
          recipients: [],
          waitingForRecipients: {
            status: "waiting_for_recipients",
            bound: "PT48H",
            until: "2026-01-03T00:00:00.000Z",
            otherwise: { status: "skipped", reason: "no recipient for role:admin" },
          },
        },
        // The one-hour wait fell due while the run waited for an admin: the tip goes when that wait ends.
        {
          at: "2026-01-03T00:00:00.000Z",
          stepId: "tip",
          channel: "email",
          template: "tip",
          to: "role:user",
          recipients: ["user@synced.example"],
        },
        // The default bound, from when the step was due.
        {
          at: "2026-01-03T00:00:00.000Z",
          stepId: "nudge",
          channel: "in_app",
          template: "nudge",
          to: "role:champion",
          recipients: [],
          waitingForRecipients: {
            status: "waiting_for_recipients",
            bound: "PT24H",
            until: "2026-01-04T00:00:00.000Z",
            otherwise: { status: "skipped", reason: "no recipient for role:champion" },
          },
        },
        // PT0S and the owner CSM do not wait: no recipient at once, when the previous wait ended.
        {
          at: "2026-01-04T00:00:00.000Z",
          stepId: "now",
          channel: "email",
          template: "now",
          to: "role:champion",
          recipients: [],
        },
        {
          at: "2026-01-04T00:00:00.000Z",
          stepId: "csm",
          channel: "email",
          template: "csm",
          to: "owner_csm",
          recipients: [],
        },
      ]);
      expect(summary).toMatchObject({
        touches: 5,
        touchesWithoutRecipient: 4,
        touchesWaitingForRecipients: 2,
      });
    });

    it("does not wait when the contacts are there, nor when they are unknown (a synthetic account)", () => {
      const staffed = account({
        contacts: [
          { email: "admin@synced.example", role: "admin" },
          { email: "user@synced.example", role: "user" },
          { email: "champ@synced.example", role: "champion" },
        ],
      });
      const known = simulateAccount(synced, staffed, window);
      expect(known.touches.map((t) => [t.stepId, t.at, t.waitingForRecipients])).toEqual([
        ["welcome", "2026-01-01T00:00:00.000Z", undefined],
        ["tip", "2026-01-01T01:00:00.000Z", undefined],
        ["nudge", "2026-01-01T01:00:00.000Z", undefined],
        ["now", "2026-01-01T01:00:00.000Z", undefined],
        ["csm", "2026-01-01T01:00:00.000Z", undefined],
      ]);
      const unknown = simulateAccount(synced, account(), window);
      expect(unknown.touches.every((t) => t.recipients === undefined || t.to === "owner_csm")).toBe(true);
      expect(unknown.touches.some((t) => t.waitingForRecipients)).toBe(false);
    });

    it("makes no opens or clicks for a touch that reached no one", () => {
      const engagement = { openRate: 1, clickRate: 1 };
      const waitsForClick = JourneyDefinition.parse({
        key: "click",
        name: "Click",
        trigger: { type: "stage_entered", stage: "onboarding" },
        steps: [
          { id: "welcome", type: "email", template: "welcome", to: "role:admin" },
          {
            id: "clicked",
            type: "wait_for_event",
            event: "message_clicked",
            timeout: "P7D",
            onTimeout: "late",
          },
          { id: "thanks", type: "email", template: "thanks", to: "role:user", next: null },
          { id: "late", type: "email", template: "late", to: "role:user" },
        ],
      });
      const steps = (a: SimAccount) =>
        simulateAccount(waitsForClick, a, window, { engagement }).touches.map((t) => t.stepId);
      expect(steps(users)).toEqual(["welcome", "late"]);
      expect(
        steps(
          account({
            contacts: [
              { email: "a@x.example", role: "admin" },
              { email: "u@x.example", role: "user" },
            ],
          }),
        ),
      ).toEqual(["welcome", "thanks"]);
    });
  });
});
