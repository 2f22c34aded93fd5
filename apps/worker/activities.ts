import { Context } from "@temporalio/activity";
import type {
  AlertActivities,
  BulkActivities,
  EscalationActivities,
  EventActivities,
  JourneyActivities,
  ScheduleActivities,
} from "../../workflows/contracts";
import { finishBulkOperation, runBulkBatch } from "../core/enrollments/bulk-operations";
import { scanRenewalWindows } from "../core/enrollments/triggers";
import { checkEscalationSla } from "../core/escalations/sla";
import { routeStoredEvents } from "../core/events/route";
import { deliverHealthAlerts } from "../core/health/alerts";
import { recomputeHealth } from "../core/health/compute";
import type { Services } from "../core/shared/services";
import { createJourneyActivities } from "./journey-activities";
import { withActivityIds } from "./telemetry";

/** The activities run on the services built at start; each is one call of a core use case. */
export type ActivityDeps = Services;

export type Activities = EventActivities &
  JourneyActivities &
  ScheduleActivities &
  EscalationActivities &
  AlertActivities &
  BulkActivities;

/** All activities, built from their dependencies (no module state), so tests pass their own. */
export function createActivities(services: ActivityDeps): Activities {
  const deps = { ...services, log: withActivityIds(services.log) };
  return {
    applyEventFacts: (input) => routeStoredEvents(deps, input),
    scanRenewalWindows: ({ workspaceId, at }) => scanRenewalWindows(deps, workspaceId, at),
    recomputeHealth: async ({ workspaceId, at }) =>
      (await recomputeHealth(deps, workspaceId, new Date(at), Context.current().heartbeat)).accounts,
    checkEscalationSla: (input) =>
      checkEscalationSla(deps, { ...input, attempt: Context.current().info.attempt }),
    deliverHealthAlerts: ({ workspaceId }) =>
      deliverHealthAlerts(deps, workspaceId, Context.current().info.attempt),
    runBulkBatch: (input) => runBulkBatch(deps, input, Context.current().info.attempt),
    finishBulkOperation: (input) => finishBulkOperation(deps, input),
    ...createJourneyActivities(deps),
  };
}
