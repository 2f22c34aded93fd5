import { and, desc, eq, inArray, lt, or } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import {
  bulkOperationKinds,
  bulkOperationStatuses,
  bulkOperations,
  journeys,
  journeyVersions,
} from "../../../db/schema/index";
import {
  type BulkOperationWorkflow,
  type BulkProgress,
  bulkOperationWorkflowId,
} from "../../../workflows/contracts";
import { JourneyDefinition } from "../../../workflows/journey/schema";
import { backfillBatch } from "../journeys/backfill";
import { decodeTimeCursor, toPage } from "../shared/pagination";
import { isUuid } from "../shared/uuid";
import {
  addBatch,
  type BatchResult,
  BULK_BATCH,
  enrollBatch,
  enrollmentBatch,
  filterConditions,
} from "./bulk-batches";
import { BulkFilter } from "./bulk-filter";
import type { RuntimeDeps } from "./runtime";

/**
 * Above this many accounts (enroll, backfill) or enrollments (pause, resume, exit), a bulk request is
 * answered 202 with an operation to follow instead of holding the request until every one is done.
 */
export const BULK_SYNC_LIMIT = 1_000;

/** When a bulk request runs in the background, and how much each batch takes (tests lower both). */
export type BulkLimits = { syncLimit: number; batchSize: number };
export const defaultBulkLimits: BulkLimits = { syncLimit: BULK_SYNC_LIMIT, batchSize: BULK_BATCH };

/** What an operation was asked to do: a bulk action's filter and exit reason, or the version a backfill fills. */
const OperationRequest = z.object({
  filter: BulkFilter.optional(),
  reason: z.string().optional(),
  version: z.number().int().optional(),
});

export const BulkOperation = z
  .object({
    id: z.string(),
    kind: z.enum(bulkOperationKinds).meta({ description: "The bulk action, or `backfill` (at publish)" }),
    journey: z.string().meta({ description: "Journey key" }),
    request: OperationRequest,
    status: z.enum(bulkOperationStatuses),
    total: z.number().int().meta({
      description:
        "Accounts (enroll, backfill) or enrollments (pause, resume, exit) matched when the operation was accepted",
    }),
    done: z.number().int().meta({ description: "Of those, how many have been handled" }),
    changed: z.number().int().meta({ description: "Enrolled, paused, resumed or exited so far" }),
    skipped: z.record(z.string(), z.number().int()).meta({
      description: "Accounts not enrolled, by the entry rule that refused them",
      example: { "already enrolled": 3 },
    }),
    percent: z.number().int().min(0).max(100),
    error: z.string().nullable().meta({ description: "Why it failed" }),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: "BulkOperation", description: "A bulk action or backfill run in batches, with its progress" });
export type BulkOperation = z.infer<typeof BulkOperation>;

export const BulkOperationListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional().meta({ description: "`nextCursor` of the previous page" }),
});
export type BulkOperationListQuery = z.infer<typeof BulkOperationListQuery>;

type Row = typeof bulkOperations.$inferSelect;

function toBulkOperation(row: Row, journey: string): BulkOperation {
  const finished = row.status === "completed";
  const ratio = row.total === 0 ? 0 : Math.floor((row.done * 100) / row.total);
  return {
    id: row.id,
    kind: row.kind,
    journey,
    request: OperationRequest.parse(row.request),
    status: row.status,
    total: row.total,
    done: row.done,
    changed: row.changed,
    skipped: row.skipped,
    // The set may grow while it runs: only a finished operation is at 100.
    percent: finished ? 100 : Math.min(99, ratio),
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

/**
 * Records a bulk operation and starts the workflow that runs it (its id derived from the operation's,
 * so starting it twice finds the first). A start Temporal refused leaves the record failed, not queued.
 */
export async function startBulkOperation(
  deps: RuntimeDeps,
  input: {
    workspaceId: string;
    journey: { id: string; key: string };
    kind: Row["kind"];
    request: Record<string, unknown>;
    total: number;
    batchSize: number;
  },
): Promise<BulkOperation> {
  const [row] = await deps.db
    .insert(bulkOperations)
    .values({
      workspaceId: input.workspaceId,
      journeyId: input.journey.id,
      kind: input.kind,
      request: input.request,
      total: input.total,
    })
    .returning();
  if (!row) throw new Error("inserting a bulk operation returned no row");
  try {
    await deps.client.workflow.start<BulkOperationWorkflow>("bulkOperation", {
      taskQueue: deps.taskQueue,
      workflowId: bulkOperationWorkflowId(row.id),
      args: [{ workspaceId: input.workspaceId, operationId: row.id, batchSize: input.batchSize }],
    });
  } catch (err) {
    await finish(
      deps.db,
      { workspaceId: input.workspaceId, operationId: row.id, error: String(err) },
      deps.clock.now(),
    );
    throw err;
  }
  return toBulkOperation(row, input.journey.key);
}

/** One operation of the workspace, or null. */
export async function getBulkOperation(
  db: Db,
  workspaceId: string,
  id: string,
): Promise<BulkOperation | null> {
  if (!isUuid(id)) return null;
  const [found] = await db
    .select({ row: bulkOperations, journey: journeys.key })
    .from(bulkOperations)
    .innerJoin(journeys, eq(journeys.id, bulkOperations.journeyId))
    .where(and(eq(bulkOperations.workspaceId, workspaceId), eq(bulkOperations.id, id)));
  return found ? toBulkOperation(found.row, found.journey) : null;
}

/** The workspace's operations, newest first. */
export async function listBulkOperations(db: Db, workspaceId: string, query: BulkOperationListQuery) {
  const after = decodeTimeCursor(query.cursor);
  const rows = await db
    .select({ row: bulkOperations, journey: journeys.key })
    .from(bulkOperations)
    .innerJoin(journeys, eq(journeys.id, bulkOperations.journeyId))
    .where(
      and(
        eq(bulkOperations.workspaceId, workspaceId),
        after
          ? or(
              lt(bulkOperations.createdAt, after.at),
              and(eq(bulkOperations.createdAt, after.at), lt(bulkOperations.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(bulkOperations.createdAt), desc(bulkOperations.id))
    .limit(query.limit + 1);
  return toPage(
    rows,
    query.limit,
    (r) => [r.row.createdAt.toISOString(), r.row.id],
    (r) => toBulkOperation(r.row, r.journey),
  );
}

/**
 * One batch of an operation (the workflow's activity): the next accounts or enrollments after
 * `progress.after`, then the progress written to the record. The progress comes from the workflow,
 * so a retried batch writes the same totals again rather than adding twice. An operation gone with
 * its workspace or journey has nothing left to do.
 */
export async function runBulkBatch(
  deps: RuntimeDeps,
  input: { workspaceId: string; operationId: string; batchSize: number; progress: BulkProgress },
  attempt = 1,
): Promise<BulkProgress & { finished: boolean }> {
  const { db } = deps;
  const where = and(
    eq(bulkOperations.workspaceId, input.workspaceId),
    eq(bulkOperations.id, input.operationId),
  );
  const [op] = await db.select().from(bulkOperations).where(where);
  if (!op) return { ...input.progress, finished: true };
  if (op.status === "queued")
    await db.update(bulkOperations).set({ status: "running", startedAt: deps.clock.now() }).where(where);
  const batch = await nextBatch(deps, op, input.progress.after, input.batchSize, attempt > 1);
  const progress = { after: batch.last ?? input.progress.after, ...addBatch(input.progress, batch) };
  await db
    .update(bulkOperations)
    .set({ done: progress.done, changed: progress.changed, skipped: progress.skipped })
    .where(and(where, inArray(bulkOperations.status, ["queued", "running"])));
  return { ...progress, finished: batch.handled < input.batchSize };
}

async function nextBatch(
  deps: RuntimeDeps,
  op: Row,
  after: string | null,
  limit: number,
  retry: boolean,
): Promise<BatchResult> {
  const request = OperationRequest.parse(op.request);
  const base = { workspaceId: op.workspaceId, journeyId: op.journeyId, after, limit };
  switch (op.kind) {
    case "backfill": {
      const [version] = await deps.db
        .select({ definition: journeyVersions.definition })
        .from(journeyVersions)
        .where(
          and(
            eq(journeyVersions.journeyId, op.journeyId),
            eq(journeyVersions.version, request.version ?? -1),
          ),
        );
      if (!version) throw new Error(`backfill ${op.id}: journey version ${request.version} is gone`);
      // The trigger's match as of when the backfill was asked for (a renewal window moves daily).
      const definition = JourneyDefinition.parse(version.definition);
      return backfillBatch(deps, { ...base, definition, at: op.createdAt });
    }
    case "enroll":
      return enrollBatch(deps, {
        ...base,
        where: filterConditions(BulkFilter.parse(request.filter)),
        trigger: "bulk",
      });
    case "pause":
    case "resume":
    case "exit":
      return enrollmentBatch(deps, {
        ...base,
        action: op.kind,
        filter: BulkFilter.parse(request.filter),
        reason: request.reason ?? "bulk_exit",
        retry,
      });
  }
}

/** The workflow's last word: completed, or failed with the error that stopped it. */
export async function finishBulkOperation(
  deps: Pick<RuntimeDeps, "db" | "clock">,
  input: { workspaceId: string; operationId: string; error?: string },
): Promise<void> {
  await finish(deps.db, input, deps.clock.now());
}

async function finish(
  db: Db,
  input: { workspaceId: string; operationId: string; error?: string },
  at: Date,
): Promise<void> {
  await db
    .update(bulkOperations)
    .set(
      input.error === undefined
        ? { status: "completed", finishedAt: at }
        : { status: "failed", finishedAt: at, error: input.error.slice(0, 1000) },
    )
    .where(and(eq(bulkOperations.workspaceId, input.workspaceId), eq(bulkOperations.id, input.operationId)));
}
