import { describe, expect, it } from "vitest";
import { mayEnter, mayReenter } from "./entry";
import { type Command, enter, type Input, type RunState, step, type Transition } from "./interpreter";
import { JourneyDefinition, type JourneyDefinitionInput } from "./schema";

const T0 = "2026-01-05T09:00:00.000Z";

function journey(
  input: Partial<JourneyDefinitionInput> & Pick<JourneyDefinitionInput, "steps">,
): JourneyDefinition {
  return JourneyDefinition.parse({ key: "j", name: "J", trigger: { type: "manual" }, ...input });
}

/** Drives a run through inputs, answering every load_facts with `facts`; returns all commands. */
function drive(
  j: JourneyDefinition,
  inputs: Input[],
  facts: Record<string, unknown> = {},
  accountId = "acc-1",
) {
  const commands: Command[] = [];
  const trace: Transition["trace"] = [];
  const absorb = (t: Transition, at: string): RunState => {
    commands.push(...t.commands);
    trace.push(...t.trace);
    if (t.commands.some((c) => c.type === "load_facts")) {
      return absorb(step(j, t.state, { type: "facts", at, facts }), at);
    }
    return t.state;
  };
  let state = absorb(enter(j, accountId, T0), T0);
  for (const input of inputs) state = absorb(step(j, state, input), input.at);
  return { state, commands, trace };
}

const sends = (commands: Command[]) =>
  commands.filter((c) => c.type === "send").map((c) => (c.type === "send" ? c.template : ""));

describe("interpreter: step types", () => {
  it("sends an email and an in-app message, then completes at the end of the list", () => {
    const j = journey({
      steps: [
        { id: "welcome", type: "email", template: "welcome", to: "role:admin" },
        { id: "tip", type: "in_app", template: "tip", to: "all_contacts" },
      ],
    });
    const { state, commands } = drive(j, []);
    expect(commands).toEqual([
      {
        type: "send",
        channel: "email",
        stepId: "welcome",
        visit: 1,
        touchKey: "welcome:1",
        template: "welcome",
        to: "role:admin",
      },
      {
        type: "send",
        channel: "in_app",
        stepId: "tip",
        visit: 1,
        touchKey: "tip:1",
        template: "tip",
        to: "all_contacts",
      },
      { type: "finish", status: "completed", reason: "end_of_journey" },
    ]);
    expect(state).toMatchObject({ status: "completed", finishedAt: T0 });
  });

  it("gives a touch's send the step's bound on waiting for recipients, and none when unset", () => {
    const j = journey({
      steps: [
        { id: "welcome", type: "email", template: "welcome", to: "role:admin", waitForRecipients: "PT5S" },
        { id: "tip", type: "in_app", template: "tip", to: "role:user", waitForRecipients: "P2D" },
        { id: "nudge", type: "email", template: "nudge", to: "all_contacts" },
      ],
    });
    const { commands } = drive(j, []);
    expect(
      commands.flatMap((c) =>
        c.type === "send" ? [[c.stepId, c.waitForRecipients, "waitForRecipients" in c]] : [],
      ),
    ).toEqual([
      ["welcome", "PT5S", true],
      ["tip", "P2D", true],
      ["nudge", undefined, false],
    ]);
  });

  it("waits a duration and ignores a timer that fires early", () => {
    const j = journey({
      steps: [
        { id: "d3", type: "wait", duration: "P3D" },
        { id: "hello", type: "email", template: "hello", to: "role:admin" },
      ],
    });
    const first = enter(j, "a", T0);
    expect(first.commands).toEqual([{ type: "wait", until: "2026-01-08T09:00:00.000Z" }]);
    expect(first.state.status).toBe("waiting");
    const early = step(j, first.state, { type: "timer", at: "2026-01-07T09:00:00.000Z" });
    expect(early.commands).toEqual([]);
    const due = step(j, early.state, { type: "timer", at: "2026-01-08T09:00:00.000Z" });
    expect(sends(due.commands)).toEqual(["hello"]);
    expect(due.state.status).toBe("completed");
  });

  it("waits until a date fact moved by a negative offset, and skips a date already past", () => {
    const j = journey({
      steps: [
        { id: "t120", type: "wait", until: { fact: "renewal_date", offset: "-P120D" } },
        { id: "kickoff", type: "email", template: "kickoff", to: "role:decision_maker" },
      ],
    });
    const future = drive(j, [], { renewal_date: "2026-12-31" });
    expect(future.commands[0]).toEqual({ type: "load_facts" });
    expect(future.commands[1]).toEqual({ type: "wait", until: "2026-09-02T00:00:00.000Z" });
    const past = drive(j, [], { renewal_date: "2026-02-01" });
    expect(sends(past.commands)).toEqual(["kickoff"]);
    expect(past.trace.find((t) => t.kind === "wait_skipped")?.detail).toMatchObject({
      because: "already_past",
    });
    const missing = drive(j, [], {});
    expect(missing.trace.find((t) => t.kind === "wait_skipped")?.detail).toMatchObject({
      because: "fact_missing",
    });
  });

  it("continues when the awaited event arrives, and takes onTimeout when it does not", () => {
    const j = journey({
      steps: [
        { id: "login", type: "wait_for_event", event: "login", timeout: "P7D", onTimeout: "call" },
        { id: "great", type: "email", template: "great", to: "role:admin", next: null },
        { id: "call", type: "escalate", reason: "No login", priority: "high", sla: "P2D" },
      ],
    });
    const arrived = drive(j, [{ type: "event", at: "2026-01-06T00:00:00.000Z", name: "login" }]);
    expect(sends(arrived.commands)).toEqual(["great"]);
    expect(arrived.commands.some((c) => c.type === "escalate")).toBe(false);

    const unrelated = drive(j, [
      { type: "event", at: "2026-01-06T00:00:00.000Z", name: "feature_used" },
      { type: "timer", at: "2026-01-12T09:00:00.000Z" },
    ]);
    expect(sends(unrelated.commands)).toEqual([]);
    expect(unrelated.commands).toContainEqual(
      expect.objectContaining({ type: "escalate", reason: "No login", priority: "high" }),
    );
    expect(unrelated.trace.map((t) => t.kind)).toContain("timed_out");
    expect(unrelated.state.status).toBe("completed");
  });

  it("branches on facts and records the facts it used", () => {
    const j = journey({
      steps: [
        {
          id: "seats",
          type: "branch",
          if: { fact: "deployment.ratio", op: "lt", value: 0.8 },
          then: "invite",
          else: "done",
        },
        { id: "invite", type: "in_app", template: "invite", to: "role:admin", next: null },
        { id: "done", type: "exit", reason: "deployed" },
      ],
    });
    const low = drive(j, [], { "deployment.ratio": 0.4 });
    expect(sends(low.commands)).toEqual(["invite"]);
    expect(low.trace.find((t) => t.kind === "branch")?.detail).toEqual({
      result: true,
      next: "invite",
      facts: { "deployment.ratio": 0.4 },
    });
    const high = drive(j, [], { "deployment.ratio": 0.9 });
    expect(high.state).toMatchObject({ status: "exited", exitReason: "deployed" });
    const unknown = drive(j, [], {});
    expect(unknown.trace.find((t) => t.kind === "branch")?.detail).toMatchObject({
      result: false,
      facts: { "deployment.ratio": null },
    });
  });

  it("evaluates all / any / not", () => {
    const j = journey({
      steps: [
        {
          id: "risk",
          type: "branch",
          if: {
            any: [
              { fact: "health.band", op: "eq", value: "red" },
              {
                all: [
                  { fact: "deployment.ratio", op: "lt", value: 0.5 },
                  { not: { fact: "tier", op: "eq", value: "high_touch" } },
                ],
              },
            ],
          },
          then: "call",
          else: "ok",
        },
        { id: "call", type: "escalate", reason: "at risk", sla: "P3D", next: null },
        { id: "ok", type: "exit" },
      ],
    });
    const escalated = (facts: Record<string, unknown>) =>
      drive(j, [], facts).commands.some((c) => c.type === "escalate");
    expect(escalated({ "health.band": "red" })).toBe(true);
    expect(escalated({ "health.band": "green", "deployment.ratio": 0.3, tier: "tech_touch" })).toBe(true);
    expect(escalated({ "health.band": "green", "deployment.ratio": 0.3, tier: "high_touch" })).toBe(false);
    expect(escalated({ "health.band": "yellow", "deployment.ratio": 0.7 })).toBe(false);
  });

  it("branches on the outcome of an earlier touch without loading facts", () => {
    const j = journey({
      steps: [
        { id: "welcome", type: "email", template: "welcome", to: "role:admin" },
        { id: "d2", type: "wait", duration: "P2D" },
        {
          id: "opened",
          type: "branch",
          if: { fact: "touch.welcome.opened", op: "eq", value: true },
          then: "tip",
          else: "resend",
        },
        { id: "tip", type: "email", template: "tip", to: "role:admin", next: null },
        { id: "resend", type: "email", template: "welcome-again", to: "role:admin" },
      ],
    });
    const openedRun = drive(j, [
      {
        type: "event",
        at: "2026-01-05T10:00:00.000Z",
        name: "message_clicked",
        properties: { stepId: "welcome" },
      },
      { type: "timer", at: "2026-01-07T09:00:00.000Z" },
    ]);
    expect(sends(openedRun.commands)).toEqual(["welcome", "tip"]);
    expect(openedRun.commands.some((c) => c.type === "load_facts")).toBe(false);
    const ignored = drive(j, [{ type: "timer", at: "2026-01-07T09:00:00.000Z" }]);
    expect(sends(ignored.commands)).toEqual(["welcome", "welcome-again"]);
  });

  it("takes a message's opens and clicks only from the enrollment that sent it", () => {
    const j = journey({
      steps: [
        { id: "welcome", type: "email", template: "welcome", to: "role:admin" },
        { id: "click", type: "wait_for_event", event: "message_clicked", timeout: "P3D", onTimeout: "d2" },
        { id: "d2", type: "wait", duration: "P2D" },
        {
          id: "opened",
          type: "branch",
          if: { fact: "touch.welcome.opened", op: "eq", value: true },
          then: "tip",
          else: "resend",
        },
        { id: "tip", type: "email", template: "tip", to: "role:admin", next: null },
        { id: "resend", type: "email", template: "welcome-again", to: "role:admin" },
      ],
    });
    const at = "2026-01-05T10:00:00.000Z";
    const started = enter(j, "acc-1", T0, "enr-mine").state;
    const click = (enrollmentId?: string): Input => ({
      type: "event",
      at,
      name: "message_clicked",
      properties: { stepId: "welcome", ...(enrollmentId ? { enrollmentId } : {}) },
    });

    // Another journey's welcome (same step id): neither the wait nor the touch outcome moves.
    const foreign = step(j, started, click("enr-other"));
    expect(foreign).toEqual({ state: started, commands: [], trace: [] });
    for (const name of ["message_opened", "message_dismissed"]) {
      const other = step(j, started, { type: "event", at, name, properties: { enrollmentId: "enr-other" } });
      expect(other.state).toBe(started);
    }

    // This run's own click, and a click that names no enrollment (the simulator's), both count.
    for (const own of [click("enr-mine"), click()]) {
      const t = step(j, started, own);
      expect(t.state.outcomes.welcome).toEqual({ opened: true, clicked: true });
      expect(t.state.wait).toMatchObject({ kind: "timer", stepId: "d2" });
      expect(t.trace.map((e) => e.kind)).toEqual(["event_received", "wait"]);
    }
  });

  it("traces the end of a wait before the step that follows it", () => {
    const j = journey({
      steps: [
        { id: "d3", type: "wait", duration: "P3D" },
        { id: "hello", type: "email", template: "hello", to: "role:admin" },
      ],
    });
    const woken = step(j, enter(j, "a", T0).state, { type: "timer", at: "2026-01-08T09:00:00.000Z" });
    expect(woken.trace.map((t) => `${t.stepId ?? "-"} ${t.kind}`)).toEqual([
      "d3 wait_over",
      "hello touch",
      "- completed",
    ]);
    expect(woken.trace[0]?.detail).toEqual({ until: "2026-01-08T09:00:00.000Z" });
  });

  it("splits deterministically by account, close to the configured percentages", () => {
    const j = journey({
      steps: [
        {
          id: "ab",
          type: "split",
          branches: [
            { percent: 30, next: "a", name: "A" },
            { percent: 70, next: "b", name: "B" },
          ],
        },
        { id: "a", type: "email", template: "variant-a", to: "role:admin", next: null },
        { id: "b", type: "email", template: "variant-b", to: "role:admin" },
      ],
    });
    const variant = (id: string) => sends(drive(j, [], {}, id).commands)[0];
    expect(variant("acc-42")).toBe(variant("acc-42"));
    const counts = { "variant-a": 0, "variant-b": 0 } as Record<string, number>;
    for (let i = 0; i < 2000; i++)
      counts[variant(`acc-${i}`) ?? ""] = (counts[variant(`acc-${i}`) ?? ""] ?? 0) + 1;
    expect(counts["variant-a"]).toBeGreaterThan(500);
    expect(counts["variant-a"]).toBeLessThan(700);
  });

  it("escalates and, when asked, holds until the CSM resolves: resume continues, close exits", () => {
    const j = journey({
      steps: [
        {
          id: "call",
          type: "escalate",
          reason: "Push call",
          priority: "urgent",
          sla: "P1D",
          waitForResolution: true,
        },
        { id: "after", type: "email", template: "after-call", to: "role:admin" },
      ],
    });
    const first = enter(j, "a", T0);
    expect(first.commands).toEqual([
      {
        type: "escalate",
        stepId: "call",
        visit: 1,
        escalationKey: "call:1",
        reason: "Push call",
        priority: "urgent",
        sla: "P1D",
        assignee: "owner_csm",
        waitForResolution: true,
      },
    ]);
    expect(first.state.wait).toEqual({ kind: "escalation", stepId: "call", escalationKey: "call:1" });
    const wrongKey = step(j, first.state, {
      type: "escalation_resolved",
      at: T0,
      escalationKey: "other:1",
      resume: true,
    });
    expect(wrongKey.commands).toEqual([]);
    const resumed = step(j, first.state, {
      type: "escalation_resolved",
      at: T0,
      escalationKey: "call:1",
      resume: true,
    });
    expect(sends(resumed.commands)).toEqual(["after-call"]);
    const closed = step(j, first.state, {
      type: "escalation_resolved",
      at: T0,
      escalationKey: "call:1",
      resume: false,
    });
    expect(closed.state).toMatchObject({ status: "exited", exitReason: "escalation_closed" });
  });

  it("sets the stage, calls a webhook and exits with a reason", () => {
    const j = journey({
      steps: [
        { id: "adopt", type: "set_stage", stage: "adoption" },
        { id: "hook", type: "webhook", url: "https://hooks.example.com/cs", payload: { text: "moved" } },
        { id: "bye", type: "exit", reason: "handed_over" },
        { id: "never", type: "email", template: "never", to: "role:admin" },
      ],
    });
    const { commands, state } = drive(j, []);
    expect(commands).toEqual([
      { type: "set_stage", stepId: "adopt", stage: "adoption" },
      {
        type: "webhook",
        stepId: "hook",
        visit: 1,
        key: "hook:1",
        url: "https://hooks.example.com/cs",
        payload: { text: "moved" },
      },
      { type: "finish", status: "exited", reason: "handed_over" },
    ]);
    expect(state.exitReason).toBe("handed_over");
  });

  it("counts visits so a loop through a wait sends a fresh touch key each turn", () => {
    const j = journey({
      steps: [
        { id: "nudge", type: "email", template: "nudge", to: "role:admin" },
        { id: "week", type: "wait", duration: "P7D" },
        {
          id: "again",
          type: "branch",
          if: { fact: "event.login.count", op: "eq", value: 0 },
          then: "nudge",
          else: "end",
        },
        { id: "end", type: "exit" },
      ],
    });
    const { commands } = drive(j, [
      { type: "timer", at: "2026-01-12T09:00:00.000Z" },
      { type: "event", at: "2026-01-13T09:00:00.000Z", name: "login" },
      { type: "timer", at: "2026-01-19T09:00:00.000Z" },
    ]);
    expect(
      commands.filter((c) => c.type === "send").map((c) => (c.type === "send" ? c.touchKey : "")),
    ).toEqual(["nudge:1", "nudge:2"]);
  });
});

describe("interpreter: exits, goals and guards", () => {
  const base = {
    exitWhen: [{ event: "onboarding_completed" }],
    goal: { event: "first_value" },
    steps: [
      { id: "welcome", type: "email", template: "welcome", to: "role:admin" },
      { id: "d3", type: "wait", duration: "P3D" },
      { id: "tip", type: "email", template: "tip", to: "role:admin" },
    ],
  } as const;

  it("exits on an exit event while waiting, and sends nothing more", () => {
    const j = journey(structuredClone(base) as never);
    const { state, commands } = drive(j, [
      { type: "event", at: "2026-01-06T00:00:00.000Z", name: "onboarding_completed" },
      { type: "timer", at: "2026-01-08T09:00:00.000Z" },
    ]);
    expect(state).toMatchObject({ status: "exited", exitReason: "exit_event:onboarding_completed" });
    expect(sends(commands)).toEqual(["welcome"]);
  });

  it("completes when the goal is reached, recording when", () => {
    const j = journey(structuredClone(base) as never);
    const { state } = drive(j, [{ type: "event", at: "2026-01-06T00:00:00.000Z", name: "first_value" }]);
    expect(state).toMatchObject({
      status: "completed",
      exitReason: "goal_reached",
      goalReachedAt: "2026-01-06T00:00:00.000Z",
    });
  });

  it("records a goal but keeps going when the goal does not exit", () => {
    const j = journey({
      ...(structuredClone(base) as unknown as JourneyDefinitionInput),
      goal: { event: "first_value", exit: false },
    });
    const { state, commands } = drive(j, [
      { type: "event", at: "2026-01-06T00:00:00.000Z", name: "first_value" },
      { type: "timer", at: "2026-01-08T09:00:00.000Z" },
    ]);
    expect(state.goalReachedAt).toBe("2026-01-06T00:00:00.000Z");
    expect(sends(commands)).toEqual(["welcome", "tip"]);
  });

  it("checks exit conditions over facts at every wake-up", () => {
    const j = journey({
      exitWhen: [{ if: { fact: "stage", op: "eq", value: "churned" }, reason: "churned" }],
      steps: [
        { id: "d3", type: "wait", duration: "P3D" },
        { id: "tip", type: "email", template: "tip", to: "role:admin" },
      ],
    });
    const churned = drive(j, [{ type: "timer", at: "2026-01-08T09:00:00.000Z" }], { stage: "churned" });
    expect(churned.state).toMatchObject({ status: "exited", exitReason: "churned" });
    expect(sends(churned.commands)).toEqual([]);
    const fine = drive(j, [{ type: "timer", at: "2026-01-08T09:00:00.000Z" }], { stage: "onboarding" });
    expect(sends(fine.commands)).toEqual(["tip"]);
  });

  it("exits on a manual exit and ignores everything after finishing", () => {
    const j = journey(structuredClone(base) as never);
    const { state } = drive(j, [
      { type: "exit", at: "2026-01-06T00:00:00.000Z", reason: "manual" },
      { type: "timer", at: "2026-01-08T09:00:00.000Z" },
    ]);
    expect(state).toMatchObject({
      status: "exited",
      exitReason: "manual",
      finishedAt: "2026-01-06T00:00:00.000Z",
    });
    expect(
      step(j, state, { type: "event", at: "2026-01-09T00:00:00.000Z", name: "first_value" }).commands,
    ).toEqual([]);
  });

  it("stops a loop without a wait instead of spinning", () => {
    const j = journey({
      steps: [
        {
          id: "a",
          type: "branch",
          if: { fact: "days_in_journey", op: "gte", value: 0 },
          then: "b",
          else: "b",
        },
        { id: "b", type: "set_stage", stage: "adoption", next: "a" },
      ],
    });
    expect(drive(j, []).state).toMatchObject({ status: "exited", exitReason: "loop_guard" });
  });

  it("never mutates the state it was given", () => {
    const j = journey(structuredClone(base) as never);
    const first = enter(j, "a", T0);
    const snapshot = JSON.stringify(first.state);
    step(j, first.state, { type: "timer", at: "2026-01-08T09:00:00.000Z" });
    expect(JSON.stringify(first.state)).toBe(snapshot);
  });
});

describe("entry rules", () => {
  const j = journey({
    audience: { tiers: ["tech_touch"], where: { fact: "licenses", op: "gte", value: 10 } },
    reentry: { policy: "cooldown", cooldown: "P30D" },
    steps: [{ id: "x", type: "exit" }],
  });
  const account = { tier: "tech_touch", stage: "onboarding", facts: { licenses: 20 } };

  it("applies the audience: tier and condition", () => {
    expect(mayEnter(j, account, [], T0)).toEqual({ enter: true });
    expect(mayEnter(j, { ...account, tier: "high_touch" }, [], T0)).toMatchObject({ enter: false });
    expect(mayEnter(j, { ...account, facts: { licenses: 5 } }, [], T0)).toMatchObject({ enter: false });
  });

  it("applies re-entry policies: never, after exit, cooldown; never while enrolled", () => {
    const done = [{ enteredAt: "2026-01-01T00:00:00.000Z", finishedAt: "2026-01-02T00:00:00.000Z" }];
    const running = [{ enteredAt: "2026-01-01T00:00:00.000Z", finishedAt: null }];
    expect(mayReenter({ policy: "never" }, done, T0)).toMatchObject({ enter: false });
    expect(mayReenter({ policy: "after_exit" }, done, T0)).toEqual({ enter: true });
    expect(mayReenter({ policy: "after_exit" }, running, T0)).toEqual({
      enter: false,
      reason: "already enrolled",
    });
    expect(mayReenter({ policy: "cooldown", cooldown: "P30D" }, done, T0)).toMatchObject({ enter: false });
    expect(mayReenter({ policy: "cooldown", cooldown: "P30D" }, done, "2026-02-01T00:00:00.000Z")).toEqual({
      enter: true,
    });
  });
});
