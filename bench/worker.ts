import { fileURLToPath } from "node:url";
import { Context } from "@temporalio/activity";
import { bundleWorkflowCode, DefaultLogger, Worker } from "@temporalio/worker";
import { type WorkerConfig, workerOptions } from "../apps/worker/worker";
import type { BenchActivities, BenchBaselineWorkflow } from "./workflows/contracts";

/** The production workflows plus the bench's own (bench/workflows/index.ts). */
const benchWorkflowsPath = fileURLToPath(new URL("./workflows/index.ts", import.meta.url));

/** The baseline's activity; a spawn starts its workflow as startSlaOnce (transition.ts) does. */
function benchActivities(config: WorkerConfig): BenchActivities {
  return {
    async noop(spawn) {
      if (!spawn) return;
      const { workflowExecution, activityId } = Context.current().info;
      await config.client.workflow.start<BenchBaselineWorkflow>("benchBaseline", {
        taskQueue: config.taskQueue,
        workflowId: `${workflowExecution?.workflowId}-spawn-${activityId}`,
        args: [spawn],
        workflowIdReusePolicy: "REJECT_DUPLICATE",
      });
    },
  };
}

/** The bench's workflow bundle, built once: every production workflow and the bare-engine baseline. */
export async function bundleBenchWorkflows(): Promise<string> {
  return (await bundleWorkflowCode({ workflowsPath: benchWorkflowsPath, logger: new DefaultLogger("WARN") }))
    .code;
}

/**
 * The production worker (the same options `npm start` uses) on the bench bundle, plus the baseline's
 * activity: the production worker knows nothing of the bench.
 */
export async function createBenchWorker(
  config: WorkerConfig & { workflowBundle: { codePath: string } },
): Promise<Worker> {
  const options = workerOptions(config);
  return Worker.create({ ...options, activities: { ...options.activities, ...benchActivities(config) } });
}
