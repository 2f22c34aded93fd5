import { Hono } from "hono";
import { type Metrics, renderMetrics } from "../api/metrics";
import { checkReadiness } from "../core/shared/readiness";
import type { Services } from "../core/shared/services";
import type { Env } from "../env";
import { keepWorkerRunning } from "../worker/keep-running";
import { createWorker } from "../worker/worker";
import type { Stack } from "./stack";
import { connectWorker, type TemporalPart } from "./temporal-part";

export type WorkerPart = { running(): boolean };

/** The Temporal worker with this process's tuning, remade should it stop on its own; the stack shuts it down. */
export async function startWorkerPart(
  env: Env,
  services: Services,
  temporal: TemporalPart,
  stack: Stack,
): Promise<WorkerPart> {
  const connection = await connectWorker(temporal, stack);
  const newWorker = () =>
    createWorker({
      ...services,
      connection,
      maxCachedWorkflows: env.TEMPORAL_MAX_CACHED_WORKFLOWS,
      tuning: {
        maxConcurrentActivityTaskExecutions: env.TEMPORAL_MAX_CONCURRENT_ACTIVITIES,
        maxConcurrentLocalActivityExecutions: env.TEMPORAL_MAX_CONCURRENT_LOCAL_ACTIVITIES,
        maxConcurrentWorkflowTaskExecutions: env.TEMPORAL_MAX_CONCURRENT_WORKFLOW_TASKS,
      },
    });
  const worker = keepWorkerRunning({
    first: await newWorker(),
    create: newWorker,
    ready: () => temporal.gate.up,
    log: services.log,
  });
  stack.push("worker", () => worker.stop());
  return worker;
}

/**
 * `volante worker`'s probe for a process manager: /healthz answers 200 while the worker polls and
 * the database and Temporal answer (503 otherwise, with the checks), /metrics its Prometheus text.
 */
export function workerProbe(
  deps: Services & { metrics: Metrics },
  temporal: TemporalPart,
  worker: WorkerPart,
): Hono {
  return new Hono()
    .get("/healthz", async (c) => {
      const readiness = await checkReadiness(deps);
      const polling = worker.running();
      const ok = readiness.status === "ok" && polling;
      return c.json(
        { ...readiness, status: ok ? "ok" : "degraded", role: "worker", worker: { polling } },
        ok ? 200 : 503,
      );
    })
    .get("/metrics", async (c) =>
      c.body(await renderMetrics({ ...deps, temporalMetricsUrl: temporal.temporalMetricsUrl }), 200, {
        "content-type": deps.metrics.registry.contentType,
      }),
    );
}
