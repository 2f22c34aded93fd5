import { bucketOf, evaluate } from "./conditions";
import type { Command, RunState, TraceEntry, Wait } from "./model";
import type { JourneyDefinition, Step, StepOf, StepType } from "./schema";
import { addDuration, isBefore, startOfDate } from "./time";

/** What a step handler sees: the run, the instant, the visit number, facts and the default successor. */
export type HandlerContext = {
  journey: JourneyDefinition;
  state: RunState;
  at: string;
  visit: number;
  fact: (name: string) => unknown;
  /** The step that follows by default (`next`, else the next in the list); null ends the journey. */
  next: string | null;
};

export type Outcome = {
  commands: Command[];
  trace: TraceEntry[];
  after:
    | { kind: "goto"; step: string | null }
    | { kind: "wait"; wait: Wait }
    | { kind: "finish"; status: "completed" | "exited"; reason: string };
};

type Handler<T extends StepType> = (step: StepOf<T>, ctx: HandlerContext) => Outcome;

const entry = (
  ctx: HandlerContext,
  s: Step,
  kind: TraceEntry["kind"],
  detail: Record<string, unknown>,
): TraceEntry => ({
  at: ctx.at,
  stepId: s.id,
  kind,
  detail,
});

function touch(channel: "email" | "in_app"): Handler<"email" | "in_app"> {
  return (s, ctx) => {
    const touchKey = `${s.id}:${ctx.visit}`;
    return {
      commands: [
        {
          type: "send",
          channel,
          stepId: s.id,
          visit: ctx.visit,
          touchKey,
          template: s.template,
          to: s.to,
          ...(s.waitForRecipients !== undefined ? { waitForRecipients: s.waitForRecipients } : {}),
        },
      ],
      trace: [entry(ctx, s, "touch", { channel, template: s.template, to: s.to, touchKey })],
      after: { kind: "goto", step: ctx.next },
    };
  };
}

const wait: Handler<"wait"> = (s, ctx) => {
  let until: string;
  let basis: Record<string, unknown>;
  if (s.duration) {
    until = addDuration(ctx.at, s.duration);
    basis = { duration: s.duration };
  } else {
    const fact = s.until?.fact ?? "renewal_date";
    const value = ctx.fact(fact);
    if (typeof value !== "string") {
      // No date to wait for: waiting forever would strand the account, so move on and say why.
      return {
        commands: [],
        trace: [entry(ctx, s, "wait_skipped", { because: "fact_missing", fact })],
        after: { kind: "goto", step: ctx.next },
      };
    }
    const offset = s.until?.offset;
    until = offset ? addDuration(startOfDate(value), offset) : startOfDate(value);
    basis = { fact, value, ...(offset ? { offset } : {}) };
  }
  if (!isBefore(ctx.at, until)) {
    return {
      commands: [],
      trace: [entry(ctx, s, "wait_skipped", { because: "already_past", until, ...basis })],
      after: { kind: "goto", step: ctx.next },
    };
  }
  return {
    commands: [{ type: "wait", until }],
    trace: [entry(ctx, s, "wait", { until, ...basis })],
    after: { kind: "wait", wait: { kind: "timer", stepId: s.id, until } },
  };
};

const waitForEvent: Handler<"wait_for_event"> = (s, ctx) => {
  const until = addDuration(ctx.at, s.timeout);
  return {
    commands: [{ type: "wait", until, event: s.event }],
    trace: [entry(ctx, s, "waiting_for_event", { event: s.event, until, onTimeout: s.onTimeout })],
    after: { kind: "wait", wait: { kind: "event", stepId: s.id, event: s.event, until } },
  };
};

const branch: Handler<"branch"> = (s, ctx) => {
  const result = evaluate(s.if, ctx.fact);
  const to = result.value ? s.then : s.else;
  return {
    commands: [],
    trace: [entry(ctx, s, "branch", { result: result.value, next: to, facts: result.used })],
    after: { kind: "goto", step: to },
  };
};

const split: Handler<"split"> = (s, ctx) => {
  const bucket = bucketOf(`${ctx.journey.key}:${s.id}:${ctx.state.accountId}`);
  let floor = 0;
  let chosen = s.branches[s.branches.length - 1];
  for (const b of s.branches) {
    if (bucket < floor + b.percent) {
      chosen = b;
      break;
    }
    floor += b.percent;
  }
  const to = chosen?.next ?? null;
  return {
    commands: [],
    trace: [entry(ctx, s, "split", { bucket, next: to, ...(chosen?.name ? { variant: chosen.name } : {}) })],
    after: { kind: "goto", step: to },
  };
};

const escalate: Handler<"escalate"> = (s, ctx) => {
  const escalationKey = `${s.id}:${ctx.visit}`;
  return {
    commands: [
      {
        type: "escalate",
        stepId: s.id,
        visit: ctx.visit,
        escalationKey,
        reason: s.reason,
        priority: s.priority,
        sla: s.sla,
        assignee: s.assignee,
        waitForResolution: s.waitForResolution,
      },
    ],
    trace: [
      entry(ctx, s, "escalated", {
        reason: s.reason,
        priority: s.priority,
        sla: s.sla,
        assignee: s.assignee,
        waitForResolution: s.waitForResolution,
      }),
    ],
    after: s.waitForResolution
      ? { kind: "wait", wait: { kind: "escalation", stepId: s.id, escalationKey } }
      : { kind: "goto", step: ctx.next },
  };
};

const setStage: Handler<"set_stage"> = (s, ctx) => ({
  commands: [{ type: "set_stage", stepId: s.id, stage: s.stage }],
  trace: [entry(ctx, s, "stage_set", { stage: s.stage })],
  after: { kind: "goto", step: ctx.next },
});

const webhook: Handler<"webhook"> = (s, ctx) => ({
  commands: [
    {
      type: "webhook",
      stepId: s.id,
      visit: ctx.visit,
      key: `${s.id}:${ctx.visit}`,
      url: s.url,
      payload: s.payload ?? {},
    },
  ],
  trace: [entry(ctx, s, "webhook", { url: s.url })],
  after: { kind: "goto", step: ctx.next },
});

const exit: Handler<"exit"> = (s) => ({
  commands: [],
  trace: [],
  after: { kind: "finish", status: "exited", reason: s.reason ?? `exit_step:${s.id}` },
});

/** One handler per step type. */
export const handlers: { [T in StepType]: Handler<T> } = {
  email: touch("email") as Handler<"email">,
  in_app: touch("in_app") as Handler<"in_app">,
  wait,
  wait_for_event: waitForEvent,
  branch,
  split,
  escalate,
  set_stage: setStage,
  webhook,
  exit,
};
