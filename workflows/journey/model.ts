/**
 * The journey run's data: its state, the inputs it reacts to, the commands it gives its driver and
 * the trace it writes. Shared by the interpreter and its step handlers (workflows/journey/handlers.ts).
 */

export type Facts = Record<string, unknown>;

export type Wait =
  | { kind: "timer"; stepId: string; until: string }
  | { kind: "event"; stepId: string; event: string; until: string }
  | { kind: "escalation"; stepId: string; escalationKey: string };

export type RunStatus = "running" | "waiting" | "completed" | "exited";

export type RunState = {
  accountId: string;
  /** The enrollment this run is: outcome events of another enrollment's messages are not its own. */
  enrollmentId?: string;
  enteredAt: string;
  status: RunStatus;
  /** The step to run next, or the one being waited on. */
  cursor: string | null;
  /** How many times each step was entered; a visit number makes touch keys unique per loop turn. */
  visits: Record<string, number>;
  wait?: Wait;
  /** Set while the run waits for facts it asked for with a `load_facts` command. */
  awaitingFacts?: boolean;
  facts?: { at: string; values: Facts };
  outcomes: Record<string, { opened?: boolean; clicked?: boolean }>;
  /** What the CSM decided, by escalate step id (the `resolution` label given when resolving). */
  resolutions?: Record<string, string>;
  eventCounts: Record<string, number>;
  goalReachedAt?: string;
  exitReason?: string;
  finishedAt?: string;
};

export type Input =
  | { type: "facts"; at: string; facts: Facts }
  | { type: "timer"; at: string }
  | { type: "event"; at: string; name: string; properties?: Record<string, unknown> }
  | {
      type: "escalation_resolved";
      at: string;
      escalationKey: string;
      resume: boolean;
      /** The CSM's label for what happened (e.g. saved, upsell), readable as `escalation.<step>.resolution`. */
      resolution?: string;
    }
  | { type: "exit"; at: string; reason: string };

export type SendCommand = {
  type: "send";
  channel: "email" | "in_app";
  stepId: string;
  visit: number;
  /** Idempotency key within the enrollment: a retry or replay never sends twice. */
  touchKey: string;
  template: string;
  to: string;
  /** The step's bound on waiting for contacts that do not exist yet; unset: the default (24 h). */
  waitForRecipients?: string;
};
export type EscalateCommand = {
  type: "escalate";
  stepId: string;
  visit: number;
  escalationKey: string;
  reason: string;
  priority: "low" | "medium" | "high" | "urgent";
  sla: string;
  assignee: string;
  waitForResolution: boolean;
};
export type Command =
  | { type: "load_facts" }
  | SendCommand
  | EscalateCommand
  | { type: "set_stage"; stepId: string; stage: string }
  | {
      type: "webhook";
      stepId: string;
      visit: number;
      key: string;
      url: string;
      payload: Record<string, unknown>;
    }
  /** Sleep until `until`, waking early for `event` (when set) or an escalation resolution. */
  | { type: "wait"; until?: string; event?: string }
  | { type: "finish"; status: "completed" | "exited"; reason: string };

export type TraceKind =
  | "entered"
  | "step"
  | "touch"
  | "wait"
  | "wait_over"
  | "wait_skipped"
  | "waiting_for_event"
  | "event_received"
  | "timed_out"
  | "branch"
  | "split"
  | "escalated"
  | "escalation_resolved"
  | "stage_set"
  | "webhook"
  | "goal"
  | "exited"
  | "completed";

export type TraceEntry = {
  at: string;
  stepId: string | null;
  kind: TraceKind;
  detail: Record<string, unknown>;
};

export type Transition = { state: RunState; commands: Command[]; trace: TraceEntry[] };
