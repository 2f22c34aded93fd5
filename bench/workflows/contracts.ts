/** The bench's own workflow and activity, as the bench's worker and scenarios see them. */

export interface BenchActivities {
  /**
   * Does nothing, or (`spawn`) starts a baseline workflow of that plan through the client and
   * returns: what a journey's escalate transition does when it starts its escalation's SLA workflow.
   */
  noop(spawn?: BenchBaselinePlan): Promise<void>;
}

/**
 * What one journey run did, in order: its timers and its activities, local ones and (`regular`) the
 * task-queue activities its sends run as (decision 0043); `spawn`, the plan of the workflow that
 * activity started (an escalation's SLA workflow).
 */
export type BenchBaselinePlan = {
  steps: ({ timerMs: number } | { activity: true; regular?: boolean; spawn?: BenchBaselinePlan })[];
};

/** Registered as "benchBaseline" by the bench's worker only. */
export type BenchBaselineWorkflow = (plan: BenchBaselinePlan) => Promise<number>;
