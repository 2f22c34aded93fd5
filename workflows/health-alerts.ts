import { proxyActivities } from "@temporalio/workflow";
import type { AlertActivities, WorkspaceInput } from "./contracts";

const { deliverHealthAlerts } = proxyActivities<AlertActivities>({
  startToCloseTimeout: "2 minutes",
  retry: { initialInterval: "5 seconds", maximumInterval: "5 minutes", maximumAttempts: 8 },
});

/** Started by a health run that raised alerts: posts them to the workspace webhook, with retries. */
export async function healthAlerts(input: WorkspaceInput): Promise<number> {
  return deliverHealthAlerts(input);
}
