import { proxyActivities } from "@temporalio/workflow";
import type { ScheduleActivities, WorkspaceInput } from "./contracts";

// The run heartbeats per chunk of accounts scored: a worker that died is noticed in minutes, and the
// retry (same `at`) is idempotent.
const { recomputeHealth } = proxyActivities<ScheduleActivities>({
  startToCloseTimeout: "15 minutes",
  heartbeatTimeout: "5 minutes",
  retry: { initialInterval: "10 seconds", maximumInterval: "5 minutes" },
});

/** Started by a Temporal Schedule per workspace: scores every account (set-based) and keeps the history. */
export async function healthRecompute(input: WorkspaceInput): Promise<{ accounts: number }> {
  const accounts = await recomputeHealth({
    workspaceId: input.workspaceId,
    at: new Date(Date.now()).toISOString(),
  });
  return { accounts };
}
