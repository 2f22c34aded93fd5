import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from "@temporalio/client";
import { type RenewalScanWorkflow, renewalScheduleId } from "../../../workflows/contracts";

/**
 * The daily renewal-window scan of a workspace, as a Temporal Schedule (created once, on the first
 * publish of a renewal_window journey). 06:00 UTC; a missed day is caught up, overlaps are skipped.
 */
export async function ensureRenewalSchedule(
  client: Client,
  taskQueue: string,
  workspaceId: string,
): Promise<boolean> {
  try {
    await client.schedule.create<RenewalScanWorkflow>({
      scheduleId: renewalScheduleId(workspaceId),
      spec: { calendars: [{ hour: 6, minute: 0 }] },
      action: {
        type: "startWorkflow",
        workflowType: "renewalScan",
        taskQueue,
        args: [{ workspaceId }],
        workflowId: `renewal-scan:${workspaceId}`,
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: "1 day" },
    });
    return true;
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return false;
    throw err;
  }
}
