import type { AppDeps } from "../api/context";
import { startAwaitingRuns } from "../core/enrollments/awaiting-runs";
import { startRouting } from "../core/events/route";
import { workspacesWithUnroutedEvents } from "../core/events/unrouted";
import { ensureHealthSchedules } from "../core/health/schedules";
import type { Stack } from "./stack";
import type { TemporalPart } from "./temporal-part";

/**
 * The work an API process does once it can reach Temporal, safe when several start at once: each
 * workspace's health Schedule (one that exists is updated, not made twice), and the catch-up with
 * what was kept while Temporal was away, again each time it comes back. The catch-up's workflow ids
 * come from the data (`route-events:<workspace>:<first batch>`, the enrollment's own id), so two
 * processes catching up together start each run once; the second finds the first's.
 */
export async function doStartupWork(deps: AppDeps, temporal: TemporalPart, stack: Stack): Promise<void> {
  const { log } = deps;
  const scheduled = await ensureHealthSchedules(deps.client, deps.taskQueue, deps.db, (m) => log.warn(m));
  log.info(`health schedules ensured for ${scheduled} workspace(s)`);
  const catchUp = () => catchUpWithTemporal(deps);
  await catchUp();
  stack.push("temporal probe", temporal.gate.watch(temporal.connection, catchUp));
}

/** Events not yet routed (or whose routing run failed), and enrollments whose run never started. Never throws. */
async function catchUpWithTemporal(deps: AppDeps): Promise<void> {
  try {
    for (const workspaceId of await workspacesWithUnroutedEvents(deps.db))
      await startRouting(deps, workspaceId, []);
    const started = await startAwaitingRuns(deps);
    if (started > 0) deps.log.info(`started ${started} enrollment run(s) triggered while Temporal was away`);
  } catch (err) {
    deps.log.warn("catching up with Temporal failed; tried again when it comes back", { error: err });
  }
}
