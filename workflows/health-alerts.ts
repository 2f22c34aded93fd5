import { proxyActivities } from "@temporalio/workflow";
import type { AlertActivities } from "./activities";

const { deliverHealthAlerts } = proxyActivities<AlertActivities>({
  startToCloseTimeout: "2 minutes",
  retry: { initialInterval: "5 seconds", maximumInterval: "5 minutes", maximumAttempts: 8 },
});

/** Started by a health run that raised alerts: posts them to the workspace webhook, with retries. */
export async function healthAlerts(input: { workspaceId: string }): Promise<number> {
  return deliverHealthAlerts(input);
}

export function healthAlertsWorkflowId(workspaceId: string, computedAt: string): string {
  return `health-alerts:${workspaceId}:${computedAt}`;
}
