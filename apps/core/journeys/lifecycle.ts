import { type RuntimeDeps, signalJourneyRuns } from "../enrollments/runtime";
import { type JourneyAction, type TransitionResult, transitionJourney } from "./journeys";

/**
 * Pause, resume or archive a journey and tell its running enrollments. Pause needs no signal: runs
 * check the journey's status before each touch and hold; resume lets held runs go on; archive exits them.
 * A resume whose runs could not all be told (Temporal away) is undone: the journey stays paused, and
 * runs told already hold again at their next touch.
 */
export async function changeJourneyStatus(
  deps: RuntimeDeps,
  workspaceId: string,
  key: string,
  action: JourneyAction,
): Promise<TransitionResult> {
  const result = await transitionJourney(deps.db, workspaceId, key, action, deps.clock.now());
  if (!result.ok || action === "pause") return result;
  try {
    await signalJourneyRuns(deps, result.journey.id, action);
  } catch (err) {
    if (action === "resume" && result.changed)
      await transitionJourney(deps.db, workspaceId, key, "pause", deps.clock.now());
    throw err;
  }
  return result;
}
