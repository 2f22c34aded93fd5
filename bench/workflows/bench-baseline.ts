import { proxyLocalActivities, sleep } from "@temporalio/workflow";

export interface BenchActivities {
  /** Does nothing: the benchmark's baseline measures the engine alone. */
  noop(): Promise<void>;
}

export type BenchBaselinePlan = { steps: ({ timerMs: number } | { activity: true })[] };
export type BenchBaselineWorkflow = (plan: BenchBaselinePlan) => Promise<number>;

const { noop } = proxyLocalActivities<BenchActivities>({ startToCloseTimeout: "1 minute" });

/**
 * The benchmark's reference: the bare engine doing what one journey run did, as recorded in its
 * history (the same local activities and timers in the same order), and nothing else.
 */
export async function benchBaseline(plan: BenchBaselinePlan): Promise<number> {
  for (const s of plan.steps) {
    if ("timerMs" in s) await sleep(s.timerMs);
    else await noop();
  }
  return plan.steps.length;
}
