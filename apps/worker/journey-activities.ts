import { ApplicationFailure, Context } from "@temporalio/activity";
import type { JourneyActivities } from "../../workflows/contracts";
import { loadRun } from "../core/enrollments/load-run";
import { PermanentFailure } from "../core/enrollments/permanent-failure";
import { closeFailedRun } from "../core/enrollments/runtime";
import { applyTransition, type TransitionDeps } from "../core/enrollments/transition";

export type JourneyActivityDeps = TransitionDeps;

/** A journey run's activities: each one call of a core use case. */
export function createJourneyActivities(deps: JourneyActivityDeps): JourneyActivities {
  return {
    loadRun: (ref) => neverRetryPermanent(() => loadRun(deps.db, ref)),
    applyTransition: (input) => neverRetryPermanent(() => applyTransition(deps, input, currentAttempt())),
    closeFailedRun: (input) => closeFailedRun(deps.db, input),
  };
}

/** Core's PermanentFailure becomes a non-retryable ApplicationFailure: Temporal must not retry it. */
async function neverRetryPermanent<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof PermanentFailure)
      throw ApplicationFailure.create({ message: err.message, nonRetryable: true });
    throw err;
  }
}

/** The activity's attempt number; 1 outside an activity (tests calling the functions directly). */
function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}
