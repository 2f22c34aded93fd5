import { proxyActivities } from "@temporalio/workflow";
import type { EventActivities } from "./activities";

const { applyEventFacts } = proxyActivities<EventActivities>({
  startToCloseTimeout: "1 minute",
  retry: { initialInterval: "1 second", maximumInterval: "1 minute" },
});

export type RouteEventsInput = { workspaceId: string; eventIds: string[] };
export type RouteEventsResult = { accountsUpdated: number };

/** Stable per batch, so a retried start never routes the same batch twice. */
export function routeEventsWorkflowId(workspaceId: string, firstEventId: string): string {
  return `route-events:${workspaceId}:${firstEventId}`;
}

/**
 * Routes a batch of newly stored events: updates the account facts journeys read.
 * The durable journey runtime adds signalling of the enrollments that listen for these event names.
 */
export async function routeEvents(input: RouteEventsInput): Promise<RouteEventsResult> {
  const accountsUpdated = await applyEventFacts(input);
  return { accountsUpdated };
}
