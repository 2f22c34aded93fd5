import { ActivityFailure, continueAsNew, proxyActivities, workflowInfo } from "@temporalio/workflow";
import type { BulkActivities, BulkOperationInput, BulkProgress } from "./contracts";

// A batch is 500 accounts: enrollMany's few statements and up to 500 workflow starts (16 in flight),
// or one UPDATE, or 500 signals. Retried with backoff; after the last attempt the operation fails with
// the error recorded, and asking again resumes where it stopped (the work done is found done).
const { runBulkBatch } = proxyActivities<BulkActivities>({
  startToCloseTimeout: "10 minutes",
  retry: { initialInterval: "1 second", maximumInterval: "1 minute", maximumAttempts: 10 },
});
const { finishBulkOperation } = proxyActivities<BulkActivities>({
  startToCloseTimeout: "1 minute",
  retry: { initialInterval: "1 second", maximumInterval: "1 minute" },
});

/** Runs a bulk operation batch by batch (keyset by id); each batch writes the progress to its record. */
export async function bulkOperation(input: BulkOperationInput): Promise<"completed" | "failed"> {
  const ref = { workspaceId: input.workspaceId, operationId: input.operationId };
  let progress: BulkProgress = input.progress ?? { after: null, done: 0, changed: 0, skipped: {} };
  try {
    for (;;) {
      const { finished, ...next } = await runBulkBatch({ ...ref, batchSize: input.batchSize, progress });
      progress = next;
      if (finished) break;
      if (workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof bulkOperation>({ ...input, progress });
      }
    }
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    await finishBulkOperation({ ...ref, error: err.cause?.message ?? err.message });
    return "failed";
  }
  await finishBulkOperation(ref);
  return "completed";
}
