import { proxyActivities } from "@temporalio/workflow";
import type { ScheduleActivities, WorkspaceInput } from "./contracts";

const { scanRenewalWindows } = proxyActivities<ScheduleActivities>({
  startToCloseTimeout: "10 minutes",
  retry: { initialInterval: "5 seconds", maximumInterval: "5 minutes" },
});

/** Started daily by a Temporal Schedule per workspace: enrolls accounts whose renewal window opened. */
export async function renewalScan(input: WorkspaceInput): Promise<{ enrolled: number }> {
  const enrolled = await scanRenewalWindows({
    workspaceId: input.workspaceId,
    at: new Date(Date.now()).toISOString(),
  });
  return { enrolled };
}
