import { fileURLToPath } from "node:url";
import { type NativeConnection, Worker, type WorkerOptions } from "@temporalio/worker";
import { type ActivityDeps, createActivities } from "./activities";
import { activityLogAttributes } from "./telemetry";

export const workflowsPath = fileURLToPath(new URL("../../workflows/index.ts", import.meta.url));

/** The services the activities use (namespace and task queue among them), and how to reach Temporal. */
export type WorkerConfig = ActivityDeps & {
  connection: NativeConnection;
  /** A prebuilt bundle (tests build it once per run); otherwise the worker bundles `workflows/`. */
  workflowBundle?: { codePath: string } | { code: string };
  /** Runs kept in memory between tasks; see docs/decisions/0013-workflow-cache.md. */
  maxCachedWorkflows?: number;
  /** Slots per process (`TEMPORAL_MAX_CONCURRENT_*`); one left unset keeps the SDK's default. */
  tuning?: WorkerTuning;
};

export type WorkerTuning = {
  [K in
    | "maxConcurrentActivityTaskExecutions"
    | "maxConcurrentLocalActivityExecutions"
    | "maxConcurrentWorkflowTaskExecutions"]?: number | undefined;
};

/**
 * Most runs sleep for days; keeping each one cached costs about 0.75 MiB (measured) while replaying
 * its short history on wake-up costs milliseconds, so the cache holds the busy ones only.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 250;

/** The worker's options: journeys' workflows plus the activities that do all their I/O. */
export function workerOptions(config: WorkerConfig): WorkerOptions {
  return {
    connection: config.connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    activities: createActivities(config),
    interceptors: { activity: [activityLogAttributes] },
    maxCachedWorkflows: config.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    ...definedOnly(config.tuning ?? {}),
    ...(config.workflowBundle ? { workflowBundle: config.workflowBundle } : { workflowsPath }),
  };
}

/** The Temporal worker: journeys' workflows plus the activities that do all their I/O. */
export async function createWorker(config: WorkerConfig): Promise<Worker> {
  return Worker.create(workerOptions(config));
}

/** Unset slots are left out of the options altogether, so the SDK applies its own defaults. */
function definedOnly(tuning: WorkerTuning): WorkerTuning {
  return Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined));
}
