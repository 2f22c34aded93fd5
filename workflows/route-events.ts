import { proxyActivities } from "@temporalio/workflow";
import type { EventActivities, RouteEventsInput, RouteEventsResult } from "./contracts";

const { applyEventFacts } = proxyActivities<EventActivities>({
  startToCloseTimeout: "1 minute",
  retry: { initialInterval: "1 second", maximumInterval: "1 minute" },
});

/**
 * Routes a batch of newly stored events: updates the account facts journeys read.
 * The durable journey runtime adds signalling of the enrollments that listen for these event names.
 */
export async function routeEvents(input: RouteEventsInput): Promise<RouteEventsResult> {
  const accountsUpdated = await applyEventFacts(input);
  return { accountsUpdated };
}
