import { Context } from "@temporalio/activity";
import type {
  AlertActivities,
  EscalationActivities,
  EventActivities,
  JourneyActivities,
  ScheduleActivities,
} from "../../workflows/contracts";
import { routeEventsToRuns, scanRenewalWindows } from "../core/enrollments/enrollments";
import { checkEscalationSla } from "../core/escalations/sla";
import { applyEventFacts, markRouted } from "../core/events/ingest";
import { deliverHealthAlerts } from "../core/health/alerts";
import { recomputeHealth } from "../core/health/compute";
import { createJourneyActivities, type JourneyActivityDeps } from "./journey-activities";

export type ActivityDeps = JourneyActivityDeps;

export type Activities = EventActivities &
  JourneyActivities &
  ScheduleActivities &
  EscalationActivities &
  AlertActivities;

/** All activities, built from their dependencies (no module state), so tests pass their own. */
export function createActivities(deps: ActivityDeps): Activities {
  return {
    async applyEventFacts({ workspaceId, eventIds }) {
      const updated = await applyEventFacts(deps.db, workspaceId, eventIds);
      await routeEventsToRuns(deps, workspaceId, eventIds);
      await markRouted(deps.db, workspaceId, eventIds);
      return updated;
    },
    scanRenewalWindows: ({ workspaceId, at }) => scanRenewalWindows(deps, workspaceId, at),
    recomputeHealth: async ({ workspaceId, at }) =>
      (await recomputeHealth(deps, workspaceId, new Date(at), Context.current().heartbeat)).accounts,
    checkEscalationSla: (input) =>
      checkEscalationSla(deps, { ...input, attempt: Context.current().info.attempt }),
    deliverHealthAlerts: ({ workspaceId }) =>
      deliverHealthAlerts(deps.db, workspaceId, Context.current().info.attempt),
    ...createJourneyActivities(deps),
  };
}
