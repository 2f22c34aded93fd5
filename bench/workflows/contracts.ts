/** The bench's own workflow and activity, as the bench's worker and scenarios see them. */

export interface BenchActivities {
  /** Does nothing: the benchmark's baseline measures the engine alone. */
  noop(): Promise<void>;
}

/** What one journey run did, in order: its timers and its local activities. */
export type BenchBaselinePlan = { steps: ({ timerMs: number } | { activity: true })[] };

/** Registered as "benchBaseline" by the bench's worker only. */
export type BenchBaselineWorkflow = (plan: BenchBaselinePlan) => Promise<number>;
