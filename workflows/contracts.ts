import { defineQuery, defineSignal } from "@temporalio/workflow";
import type { Command, Facts, RunState, RunStatus, TraceEntry } from "./journey/interpreter";
import type { JourneyDefinition } from "./journey/schema";

/**
 * Everything the rest of Volante needs to talk to its workflows: their type names and signatures,
 * ids, signals and queries, and the activities they call. `apps/` and `bench/` import this file, never
 * a workflow implementation; the implementations import their signals and ids from here too.
 *
 * Type names, signal and query names and activity names are recorded in every history: renaming one
 * breaks the runs in flight (tests/workflow-replay.test.ts).
 */

// ── Workflows ──────────────────────────────────────────────────────────────────────────────────

export type WorkspaceInput = { workspaceId: string };

export type JourneyRunInput = RunRef & {
  /** Carried over by continueAsNew. */
  carried?: { state: RunState; seenEvents: string[]; transitions: number };
  /**
   * Continue as new once the history holds this many events, besides when Temporal suggests it.
   * Unset in production; tests set it low to cross the boundary in a short journey.
   */
  continueAsNewAfter?: number;
};

export type EscalationSlaInput = {
  workspaceId: string;
  escalationId: string;
  createdAt: string;
  dueAt: string;
};

/** Where a bulk operation is: the last id handled (null before the first batch) and the counts so far. */
export type BulkProgress = {
  after: string | null;
  done: number;
  changed: number;
  skipped: Record<string, number>;
};

export type BulkOperationInput = {
  workspaceId: string;
  operationId: string;
  /** Accounts or enrollments per activity. */
  batchSize: number;
  /** Carried over by continueAsNew. */
  progress?: BulkProgress;
};

export type RouteEventsInput = {
  workspaceId: string;
  /** Events named one by one: runs started before batches (empty since). */
  eventIds: string[];
  /** unrouted_batches rows whose events to route: 1,000 event ids weighed 40 KB in every history. */
  batchIds?: string[];
};
export type RouteEventsResult = { accountsUpdated: number };

/**
 * The workflows the worker registers, by type name. A client starts one by its name with the type
 * for its arguments: `client.workflow.start<JourneyRunWorkflow>("journeyRun", …)`. workflows/index.ts
 * checks that the implementations have these names and signatures.
 */
export type Workflows = {
  /** One enrollment: an account's run through a journey version. */
  journeyRun: (input: JourneyRunInput) => Promise<RunState>;
  /** The SLA of one escalation: a reminder, then re-escalation if still unresolved. */
  escalationSla: (input: EscalationSlaInput) => Promise<"resolved" | "breached">;
  /** Routes a batch of stored events to account facts and the enrollments listening for them. */
  routeEvents: (input: RouteEventsInput) => Promise<RouteEventsResult>;
  /** Scores every account of a workspace (a Temporal Schedule per workspace). */
  healthRecompute: (input: WorkspaceInput) => Promise<{ accounts: number }>;
  /** Enrolls accounts whose renewal window opened (a daily Temporal Schedule per workspace). */
  renewalScan: (input: WorkspaceInput) => Promise<{ enrolled: number }>;
  /** Posts a workspace's pending health alerts to its webhook. */
  healthAlerts: (input: WorkspaceInput) => Promise<number>;
  /** A bulk action or backfill too large for its request, in batches, with its progress recorded. */
  bulkOperation: (input: BulkOperationInput) => Promise<"completed" | "failed">;
};

export type JourneyRunWorkflow = Workflows["journeyRun"];
export type EscalationSlaWorkflow = Workflows["escalationSla"];
export type RouteEventsWorkflow = Workflows["routeEvents"];
export type HealthRecomputeWorkflow = Workflows["healthRecompute"];
export type RenewalScanWorkflow = Workflows["renewalScan"];
export type HealthAlertsWorkflow = Workflows["healthAlerts"];
export type BulkOperationWorkflow = Workflows["bulkOperation"];

// ── Workflow ids ───────────────────────────────────────────────────────────────────────────────

/** Deterministic per account, journey and entry: duplicate triggers find the existing run. */
export function journeyWorkflowId(
  workspaceId: string,
  journeyKey: string,
  accountId: string,
  entry: number,
): string {
  return `journey:${workspaceId}:${journeyKey}:${accountId}${entry > 1 ? `:${entry}` : ""}`;
}

export function escalationSlaWorkflowId(escalationId: string): string {
  return `escalation-sla:${escalationId}`;
}

/** Stable per batch (its first unrouted_batches id), so a retried start never routes it twice. */
export function routeEventsWorkflowId(workspaceId: string, firstBatchId: string): string {
  return `route-events:${workspaceId}:${firstBatchId}`;
}

export function healthAlertsWorkflowId(workspaceId: string, computedAt: string): string {
  return `health-alerts:${workspaceId}:${computedAt}`;
}

/** One run per operation: starting it twice finds the first. */
export function bulkOperationWorkflowId(operationId: string): string {
  return `bulk-operation:${operationId}`;
}

export function healthScheduleId(workspaceId: string): string {
  return `health-recompute:${workspaceId}`;
}

export function renewalScheduleId(workspaceId: string): string {
  return `renewal-scan:${workspaceId}`;
}

// ── Signals and queries of a journey run ───────────────────────────────────────────────────────

export type AccountEventSignal = { eventId: string; name: string; properties?: Record<string, unknown> };

/** A product event of the account (only names this run listens to are routed here). */
export const accountEventSignal = defineSignal<[AccountEventSignal]>("accountEvent");
/** Leave the journey now (API exit, journey archived). */
export const exitSignal = defineSignal<[{ reason: string }]>("exit");
/** The journey was resumed: a held touch may go out. */
export const resumeSignal = defineSignal("resume");
/**
 * Contacts were saved for the run's account: a touch waiting for its recipients looks again now.
 * A signal of its own, not `resume`: histories recorded before it never carry it, so they replay alike.
 */
export const contactsChangedSignal = defineSignal("contactsChanged");
/** A CSM resolved an escalation this run waits for. */
export const escalationResolvedSignal =
  defineSignal<[{ escalationKey: string; resume: boolean; resolution?: string }]>("escalationResolved");
/** Where the run is: its interpreter state, null while it loads. */
export const stateQuery = defineQuery<RunState | null>("state");

// ── Patches ────────────────────────────────────────────────────────────────────────────────────
// Recorded as markers in the histories of the runs that took the new path (decision 0043).

/** Transitions that send email, notify a CSM or call a webhook run as heartbeated regular activities. */
export const SENDS_AS_ACTIVITIES = "sends-as-activities";

// ── Activities ─────────────────────────────────────────────────────────────────────────────────
// Implemented in apps/worker; workflows see only these types, so workflow code never imports I/O.

export interface EventActivities {
  /** Folds stored events into account facts, enrolls event-triggered journeys and signals listening runs. */
  applyEventFacts(input: RouteEventsInput): Promise<number>;
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
  /**
   * With `heldAt`: the touch is deferred until this time (quiet hours, or its contacts do not exist
   * yet), not held for a resume.
   */
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

export interface BulkActivities {
  /**
   * Handles the next batch after `progress.after` and records the progress it returns; `finished`
   * when the batch was the last. Idempotent: a retried batch finds its own work done and moves on.
   */
  runBulkBatch(input: {
    workspaceId: string;
    operationId: string;
    batchSize: number;
    progress: BulkProgress;
  }): Promise<BulkProgress & { finished: boolean }>;
  /** Marks the operation completed, or failed with the error that stopped it. */
  finishBulkOperation(input: { workspaceId: string; operationId: string; error?: string }): Promise<void>;
}
