import { proxyActivities, proxyLocalActivities, sleep } from "@temporalio/workflow";
import type { BenchActivities, BenchBaselinePlan } from "./contracts";

const { noop } = proxyLocalActivities<BenchActivities>({ startToCloseTimeout: "1 minute" });
const remote = proxyActivities<BenchActivities>({ startToCloseTimeout: "1 minute" });

/**
 * The benchmark's reference: the bare engine doing what one journey run did, as recorded in its
 * history (the same local activities, task-queue activities and timers in the same order, and the
 * workflows its activities started), and nothing else.
 */
export async function benchBaseline(plan: BenchBaselinePlan): Promise<number> {
  for (const s of plan.steps) {
    if ("timerMs" in s) await sleep(s.timerMs);
    else if (s.regular) await remote.noop(s.spawn);
    else await noop();
  }
  return plan.steps.length;
}
