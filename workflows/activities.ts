import type { Command, Facts, RunStatus, TraceEntry } from "./journey/interpreter";
import type { JourneyDefinition } from "./journey/schema";

/**
 * The activity interfaces workflows call. Implementations live in apps/worker; workflows see only
 * these types, so workflow code never imports I/O.
 */
export interface EventActivities {
  /** Folds stored events into account facts, enrolls event-triggered journeys and signals listening runs. */
  applyEventFacts(input: { workspaceId: string; eventIds: string[] }): Promise<number>;
}

export type RunRef = { workspaceId: string; enrollmentId: string };

export type LoadedRun = {
  journey: JourneyDefinition;
  /** The account id the interpreter hashes for splits. */
  accountId: string;
  enteredAt: string;
};

export type TransitionInput = RunRef & {
  /** The run's transition number: with the entry's position it makes trace writes idempotent. */
  transition: number;
  at: string;
  /** Effects to carry out, in order (sends, escalations, stage changes, webhooks, finish, load_facts). */
  commands: Command[];
  trace: TraceEntry[];
  status: RunStatus;
  currentStep: string | null;
  goalReachedAt?: string;
  /** Resume a held transition from this command (earlier ones are done). */
  from?: number;
};

export type TransitionResult = {
  /** Present when the commands asked for facts. */
  facts?: Facts;
  /** The index of the touch held because the journey is paused; the run waits for `resume`. */
  heldAt?: number;
  /** With `heldAt`: the touch is deferred (quiet hours) until this time, not held for a resume. */
  deferredUntil?: string;
};

export interface JourneyActivities {
  /** The pinned journey version and the account of an enrollment. */
  loadRun(ref: RunRef): Promise<LoadedRun>;
  /** Carries out one transition's effects and records its trace, in one activity. */
  applyTransition(input: TransitionInput): Promise<TransitionResult>;
  /** The run failed: its enrollment is closed as failed and stops listening for events. */
  closeFailedRun(input: RunRef & { at: string; reason: string }): Promise<void>;
}

export interface ScheduleActivities {
  /** Scores every account of the workspace; returns how many were scored. */
  recomputeHealth(input: { workspaceId: string; at: string }): Promise<number>;
  /** Enrolls accounts whose renewal window opened, for every renewal_window journey. Returns how many. */
  scanRenewalWindows(input: { workspaceId: string; at: string }): Promise<number>;
}

export interface EscalationActivities {
  /** At the reminder, reminds the assignee; at the deadline, raises the priority and notifies again. */
  checkEscalationSla(input: {
    workspaceId: string;
    escalationId: string;
    stage: "reminder" | "breach";
    at: string;
  }): Promise<"open" | "resolved">;
}

export interface AlertActivities {
  /** Posts the workspace's pending health alerts to its webhook; returns how many went out. */
  deliverHealthAlerts(input: { workspaceId: string }): Promise<number>;
}

export interface BenchActivities {
  /** Does nothing: the benchmark's baseline measures the engine alone. */
  noop(): Promise<void>;
}
