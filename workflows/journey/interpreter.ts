import { evaluate, isDerivedFact } from "./conditions";
import { type HandlerContext, handlers, type Outcome } from "./handlers";
import type { Command, Input, RunState, TraceEntry, Transition } from "./model";
import type { JourneyDefinition, Step } from "./schema";
import { daysBetween, isBefore } from "./time";

/**
 * The journey interpreter: a pure state machine `(state, input) → (state, commands, trace)`.
 * No I/O, no clock, no randomness: time comes in with every input and splits hash the account id.
 * The Temporal workflow and the simulator are both thin drivers of this one module.
 */

export type {
  Command,
  EscalateCommand,
  Facts,
  Input,
  RunState,
  RunStatus,
  SendCommand,
  TraceEntry,
  TraceKind,
  Transition,
  Wait,
} from "./model";

/** Steps a single advance may run without waiting; the validator refuses loops without waits. */
const MAX_STEPS_PER_ADVANCE = 200;

const OUTCOME_EVENTS: Record<string, "opened" | "clicked"> = {
  message_opened: "opened",
  message_clicked: "clicked",
};

/**
 * What a contact did with a message (email tracking, the in-app widget). Carrying the sending
 * enrollment's id in `properties.enrollmentId`, such an event belongs to that enrollment alone: a click
 * on one journey's message neither resumes another's wait nor sets its touch outcomes.
 */
export const MESSAGE_OUTCOME_EVENTS: readonly string[] = [
  "message_opened",
  "message_clicked",
  "message_dismissed",
];

/** Whether `event` is another enrollment's message outcome (events without an enrollment id count). */
function isForeignOutcome(
  enrollmentId: string | undefined,
  event: { name: string; properties?: Record<string, unknown> | undefined },
): boolean {
  const owner = event.properties?.enrollmentId;
  return (
    enrollmentId !== undefined &&
    typeof owner === "string" &&
    owner !== enrollmentId &&
    MESSAGE_OUTCOME_EVENTS.includes(event.name)
  );
}

/** Enters an account into a journey at `at` and runs it to its first wait. */
export function enter(
  journey: JourneyDefinition,
  accountId: string,
  at: string,
  enrollmentId?: string,
): Transition {
  const state: RunState = {
    accountId,
    ...(enrollmentId !== undefined ? { enrollmentId } : {}),
    enteredAt: at,
    status: "running",
    cursor: journey.steps[0]?.id ?? null,
    visits: {},
    outcomes: {},
    eventCounts: {},
  };
  const trace: TraceEntry[] = [{ at, stepId: null, kind: "entered", detail: { journey: journey.key } }];
  return advance(journey, state, at, [], trace);
}

/**
 * Feeds one input to a run. A finished run ignores everything, and so does every run an outcome
 * event of another enrollment's message reaches.
 */
export function step(journey: JourneyDefinition, current: RunState, input: Input): Transition {
  if (current.status === "completed" || current.status === "exited")
    return { state: current, commands: [], trace: [] };
  if (input.type === "event" && isForeignOutcome(current.enrollmentId, input))
    return { state: current, commands: [], trace: [] };
  const state = structuredCloneState(current);
  const trace: TraceEntry[] = [];
  const commands: Command[] = [];
  const at = input.at;

  switch (input.type) {
    case "exit":
      return finish(state, at, "exited", input.reason, commands, trace);

    case "facts": {
      state.facts = { at, values: input.facts };
      const exit = exitCondition(journey, state, at, trace);
      if (exit) return finish(state, at, "exited", exit, commands, trace);
      if (!state.awaitingFacts) return { state, commands, trace };
      state.awaitingFacts = false;
      return advance(journey, state, at, commands, trace);
    }

    case "event": {
      state.eventCounts[input.name] = (state.eventCounts[input.name] ?? 0) + 1;
      recordOutcome(state, input);
      if (journey.exitWhen.some((c) => "event" in c && c.event === input.name)) {
        trace.push({
          at,
          stepId: state.cursor,
          kind: "exited",
          detail: { because: "exit_event", event: input.name },
        });
        return finish(state, at, "exited", `exit_event:${input.name}`, commands, trace, false);
      }
      if (journey.goal && journey.goal.event === input.name && !state.goalReachedAt) {
        state.goalReachedAt = at;
        trace.push({ at, stepId: state.cursor, kind: "goal", detail: { event: input.name } });
        if (journey.goal.exit) return finish(state, at, "completed", "goal_reached", commands, trace);
      }
      const wait = state.wait;
      if (wait?.kind === "event" && wait.event === input.name) {
        trace.push({ at, stepId: wait.stepId, kind: "event_received", detail: { event: input.name } });
        return resume(journey, state, at, successor(journey, wait.stepId), commands, trace);
      }
      return { state, commands, trace };
    }

    case "timer": {
      const wait = state.wait;
      if (!wait || wait.kind === "escalation" || isBefore(at, wait.until)) return { state, commands, trace };
      if (wait.kind === "event") {
        const stepDef = stepById(journey, wait.stepId);
        const onTimeout = stepDef?.type === "wait_for_event" ? stepDef.onTimeout : null;
        trace.push({
          at,
          stepId: wait.stepId,
          kind: "timed_out",
          detail: { event: wait.event, next: onTimeout },
        });
        return resume(journey, state, at, onTimeout, commands, trace);
      }
      // The wait is over: the trace says so before whatever the next step does.
      trace.push({ at, stepId: wait.stepId, kind: "wait_over", detail: { until: wait.until } });
      return resume(journey, state, at, successor(journey, wait.stepId), commands, trace);
    }

    case "escalation_resolved": {
      const wait = state.wait;
      if (wait?.kind !== "escalation" || wait.escalationKey !== input.escalationKey)
        return { state, commands, trace };
      trace.push({
        at,
        stepId: wait.stepId,
        kind: "escalation_resolved",
        detail: { resume: input.resume, ...(input.resolution ? { resolution: input.resolution } : {}) },
      });
      if (input.resolution) state.resolutions = { ...state.resolutions, [wait.stepId]: input.resolution };
      if (!input.resume) return finish(state, at, "exited", "escalation_closed", commands, trace);
      return resume(journey, state, at, successor(journey, wait.stepId), commands, trace);
    }
  }
}

function resume(
  journey: JourneyDefinition,
  state: RunState,
  at: string,
  next: string | null,
  commands: Command[],
  trace: TraceEntry[],
): Transition {
  delete state.wait;
  state.status = "running";
  state.cursor = next;
  // Exit conditions over facts are checked at every wake-up, so they need fresh facts first.
  if (journey.exitWhen.some((c) => "if" in c) && state.facts?.at !== at) {
    state.awaitingFacts = true;
    commands.push({ type: "load_facts" });
    return { state, commands, trace };
  }
  return advance(journey, state, at, commands, trace);
}

/** Runs steps from the cursor until the run waits, needs facts or finishes. */
function advance(
  journey: JourneyDefinition,
  state: RunState,
  at: string,
  commands: Command[],
  trace: TraceEntry[],
): Transition {
  for (let ran = 0; ; ran++) {
    if (state.cursor === null) return finish(state, at, "completed", "end_of_journey", commands, trace);
    if (ran >= MAX_STEPS_PER_ADVANCE) return finish(state, at, "exited", "loop_guard", commands, trace);
    const current = stepById(journey, state.cursor);
    if (!current) return finish(state, at, "exited", `unknown_step:${state.cursor}`, commands, trace);

    if (needsFacts(current) && state.facts?.at !== at) {
      state.awaitingFacts = true;
      commands.push({ type: "load_facts" });
      return { state, commands, trace };
    }

    const visit = (state.visits[current.id] ?? 0) + 1;
    state.visits[current.id] = visit;
    const ctx: HandlerContext = {
      journey,
      state,
      at,
      visit,
      fact: (name) => lookupFact(state, at, name),
      next: successor(journey, current.id),
    };
    const outcome: Outcome = (handlers[current.type] as (s: Step, c: HandlerContext) => Outcome)(
      current,
      ctx,
    );
    commands.push(...outcome.commands);
    trace.push(...outcome.trace);

    switch (outcome.after.kind) {
      case "goto":
        state.cursor = outcome.after.step;
        continue;
      case "wait":
        state.status = "waiting";
        state.wait = outcome.after.wait;
        state.cursor = current.id;
        return { state, commands, trace };
      case "finish":
        return finish(state, at, outcome.after.status, outcome.after.reason, commands, trace);
    }
  }
}

function finish(
  state: RunState,
  at: string,
  status: "completed" | "exited",
  reason: string,
  commands: Command[],
  trace: TraceEntry[],
  traced = true,
): Transition {
  state.status = status;
  state.exitReason = reason;
  state.finishedAt = at;
  delete state.wait;
  state.awaitingFacts = false;
  if (traced) trace.push({ at, stepId: state.cursor, kind: status, detail: { reason } });
  commands.push({ type: "finish", status, reason });
  return { state, commands, trace };
}

/** Exit criteria written as conditions, checked whenever facts are fresh. */
function exitCondition(
  journey: JourneyDefinition,
  state: RunState,
  at: string,
  trace: TraceEntry[],
): string | null {
  for (const criterion of journey.exitWhen) {
    if (!("if" in criterion)) continue;
    const result = evaluate(criterion.if, (name) => lookupFact(state, at, name));
    if (result.value) {
      const reason = criterion.reason ?? "exit_condition";
      trace.push({
        at,
        stepId: state.cursor,
        kind: "exited",
        detail: { because: reason, facts: result.used },
      });
      return reason;
    }
  }
  return null;
}

function needsFacts(current: Step): boolean {
  if (current.type === "wait") return current.until !== undefined;
  if (current.type === "branch") {
    const facts: string[] = [];
    collectFacts(current.if, facts);
    return facts.some((f) => !isDerivedFact(f));
  }
  return false;
}

function collectFacts(condition: Parameters<typeof evaluate>[0], into: string[]): void {
  if ("all" in condition) for (const c of condition.all) collectFacts(c, into);
  else if ("any" in condition) for (const c of condition.any) collectFacts(c, into);
  else if ("not" in condition) collectFacts(condition.not, into);
  else into.push(condition.fact);
}

function lookupFact(state: RunState, at: string, name: string): unknown {
  if (name === "days_in_journey") return daysBetween(state.enteredAt, at);
  const touch = /^touch\.(.+)\.(opened|clicked)$/.exec(name);
  if (touch) return state.outcomes[touch[1] ?? ""]?.[touch[2] as "opened" | "clicked"] ?? false;
  const resolution = /^escalation\.(.+)\.resolution$/.exec(name);
  if (resolution) return state.resolutions?.[resolution[1] ?? ""];
  const count = /^event\.(.+)\.count$/.exec(name);
  if (count) return state.eventCounts[count[1] ?? ""] ?? 0;
  return state.facts?.values[name];
}

function recordOutcome(state: RunState, input: Extract<Input, { type: "event" }>): void {
  const outcome = OUTCOME_EVENTS[input.name];
  const stepId = input.properties?.stepId;
  if (!outcome || typeof stepId !== "string") return;
  const entry = state.outcomes[stepId] ?? {};
  entry[outcome] = true;
  // A click implies the message was seen, even when the open pixel was blocked.
  if (outcome === "clicked") entry.opened = true;
  state.outcomes[stepId] = entry;
}

export function stepById(journey: JourneyDefinition, id: string): Step | undefined {
  return journey.steps.find((s) => s.id === id);
}

/** The step after `id`: its `next`, else the following step; null ends the journey. */
export function successor(journey: JourneyDefinition, id: string): string | null {
  const index = journey.steps.findIndex((s) => s.id === id);
  const current = journey.steps[index];
  if (current && "next" in current && current.next !== undefined) return current.next;
  return journey.steps[index + 1]?.id ?? null;
}

/**
 * A copy the handlers may change: the records they write into are copied, the rest is shared
 * (facts are only ever replaced whole). A JSON round trip did the same at half the simulator's time.
 */
function structuredCloneState(state: RunState): RunState {
  const outcomes: RunState["outcomes"] = {};
  for (const [stepId, outcome] of Object.entries(state.outcomes)) outcomes[stepId] = { ...outcome };
  return {
    ...state,
    visits: { ...state.visits },
    outcomes,
    eventCounts: { ...state.eventCounts },
    ...(state.resolutions ? { resolutions: { ...state.resolutions } } : {}),
    ...(state.wait ? { wait: { ...state.wait } } : {}),
  };
}
