/** The bench's own workflow and activity, as the bench's worker and scenarios see them. */

export interface BenchActivities {
  /** Does nothing: the benchmark's baseline measures the engine alone. */
  noop(): Promise<void>;
}

/**
 * What one journey run did, in order: its timers and its activities, local ones and (`regular`) the
 * task-queue activities its sends run as (decision 0043).
 */
export type BenchBaselinePlan = { steps: ({ timerMs: number } | { activity: true; regular?: boolean })[] };

/** Registered as "benchBaseline" by the bench's worker only. */
export type BenchBaselineWorkflow = (plan: BenchBaselinePlan) => Promise<number>;
