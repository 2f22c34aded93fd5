import { ApplicationFailure, Context } from "@temporalio/activity";
import type { JourneyActivities } from "../../workflows/contracts";
import type { SendAttempt } from "../core/delivery/reservations";
import { loadRun } from "../core/enrollments/load-run";
import { PermanentFailure } from "../core/enrollments/permanent-failure";
import { closeFailedRun } from "../core/enrollments/runtime";
import { applyTransition, type TransitionDeps } from "../core/enrollments/transition";

export type JourneyActivityDeps = TransitionDeps;

/**
 * How often a regular `applyTransition` attempt heartbeats while it works: well inside the workflow's
 * heartbeat timeout (workflows/journey-run.ts), so only a dead or cut-off worker misses it.
 */
export const HEARTBEAT_EVERY_MS = 3_000;

/** A journey run's activities: each one call of a core use case. */
export function createJourneyActivities(deps: JourneyActivityDeps): JourneyActivities {
  return {
    loadRun: (ref) => neverRetryPermanent(() => loadRun(deps.db, ref)),
    applyTransition: (input) =>
      neverRetryPermanent(() =>
        heartbeating(() => {
          const { attempt, heartbeated } = currentAttempt();
          return applyTransition(deps, input, attempt, heartbeated);
        }),
      ),
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

/**
 * Heartbeats in the background while a regular activity works, however long one SMTP reply takes:
 * a missed heartbeat then means the worker is gone, and Temporal starts the next attempt, which takes
 * over this one's send reservations (reservations.ts). Local activities have no heartbeat.
 */
async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = activityContext();
  if (!context || context.info.isLocal) return work();
  const beat = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

/** The activity's attempt; the first, lease-ruled one outside an activity (tests calling directly). */
function currentAttempt(): SendAttempt {
  const context = activityContext();
  return context
    ? { attempt: context.info.attempt, heartbeated: !context.info.isLocal }
    : { attempt: 1, heartbeated: false };
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
