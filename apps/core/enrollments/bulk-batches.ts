import { and, asc, count, eq, gt, inArray, isNotNull, isNull, lt, type SQL } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, enrollments } from "../../../db/schema/index";
import { resumeSignal } from "../../../workflows/contracts";
import { inParallel } from "../shared/in-parallel";
import type { BulkFilter } from "./bulk-filter";
import { enrollMany } from "./enroll";
import { exitEnrollment, type RuntimeDeps } from "./runtime";

/**
 * Accounts or enrollments per batch, in a request or in one activity of a bulk operation: enrollMany's
 * own batch, so a batch is a constant number of statements and up to this many workflow starts.
 */
export const BULK_BATCH = 500;
/** Signals (exit, resume) in flight at once. */
const IN_FLIGHT = 16;

/**
 * What one batch did: the last id it handled (the keyset cursor of the next one), how many accounts or
 * enrollments it handled, changed, and left out by reason.
 */
export type BatchResult = {
  last: string | null;
  handled: number;
  changed: number;
  skipped: Record<string, number>;
};

export type EnrollmentAction = "pause" | "resume" | "exit";

/** The SQL conditions over accounts that a bulk filter stands for (AND across criteria, OR within one). */
export function filterConditions(filter: BulkFilter): (SQL | undefined)[] {
  return [
    filter.tiers ? inArray(accounts.tier, filter.tiers) : undefined,
    filter.stages ? inArray(accounts.lifecycleStage, filter.stages) : undefined,
    filter.bands ? inArray(accounts.healthBand, filter.bands) : undefined,
    filter.owners ? inArray(accounts.ownerCsm, filter.owners) : undefined,
    filter.accounts ? inArray(accounts.externalId, filter.accounts) : undefined,
  ];
}

/** How many of the workspace's accounts meet the conditions. */
export async function countAccounts(
  db: Db,
  workspaceId: string,
  where: (SQL | undefined)[],
): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, workspaceId), ...where));
  return row?.n ?? 0;
}

/**
 * Enrolls the next `limit` accounts (by id, after `after`) that meet the conditions, through
 * enrollMany: its audience and re-entry rules, its deterministic workflow ids. Repeated, it finds
 * them enrolled (`skipped`), so a retried batch enrolls no one twice.
 */
export async function enrollBatch(
  deps: RuntimeDeps,
  input: {
    workspaceId: string;
    journeyId: string;
    where: (SQL | undefined)[];
    trigger: string;
    after: string | null;
    limit: number;
  },
): Promise<BatchResult> {
  const rows = await deps.db
    .select({ id: accounts.id })
    .from(accounts)
    .where(
      and(
        eq(accounts.workspaceId, input.workspaceId),
        ...input.where,
        input.after ? gt(accounts.id, input.after) : undefined,
      ),
    )
    .orderBy(asc(accounts.id))
    .limit(input.limit);
  const ids = rows.map((r) => r.id);
  const outcomes = await enrollMany(deps, {
    workspaceId: input.workspaceId,
    journeyId: input.journeyId,
    accountIds: ids,
    trigger: input.trigger,
    at: deps.clock.now(),
  });
  const skipped: Record<string, number> = {};
  for (const o of outcomes) if (!o.enrolled) skipped[o.reason] = (skipped[o.reason] ?? 0) + 1;
  const refused = Object.values(skipped).reduce((a, b) => a + b, 0);
  return { last: ids.at(-1) ?? null, handled: ids.length, changed: ids.length - refused, skipped };
}

/** The enrollments a pause, resume or exit applies to: the journey's running ones of the matching accounts. */
function targets(workspaceId: string, journeyId: string, action: EnrollmentAction, filter: BulkFilter) {
  const matching = (db: Db) =>
    db
      .select({ id: accounts.id })
      .from(accounts)
      .where(and(eq(accounts.workspaceId, workspaceId), ...filterConditions(filter)));
  return (db: Db) =>
    and(
      eq(enrollments.workspaceId, workspaceId),
      eq(enrollments.journeyId, journeyId),
      inArray(enrollments.status, ["active", "held"]),
      inArray(enrollments.accountId, matching(db)),
      action === "pause"
        ? isNull(enrollments.pausedAt)
        : action === "resume"
          ? isNotNull(enrollments.pausedAt)
          : undefined,
    );
}

/** How many enrollments a pause, resume or exit would change now. */
export async function countEnrollmentTargets(
  db: Db,
  input: { workspaceId: string; journeyId: string; action: EnrollmentAction; filter: BulkFilter },
): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(enrollments)
    .where(targets(input.workspaceId, input.journeyId, input.action, input.filter)(db));
  return row?.n ?? 0;
}

/**
 * Pauses, resumes or exits the next `limit` target enrollments (by id, after `after`). Pause is one
 * UPDATE; resume clears the pause then signals each run; exit signals each run (16 at a time).
 * Repeated, it finds nothing left to change: a paused run is no longer a pause target, a resumed one
 * no longer a resume target, and an exit sent twice is still one exit.
 */
export async function enrollmentBatch(
  deps: RuntimeDeps,
  input: {
    workspaceId: string;
    journeyId: string;
    action: EnrollmentAction;
    filter: BulkFilter;
    reason: string;
    after: string | null;
    limit: number;
    /** A retried attempt of this batch (a bulk operation's activity), which may have stopped halfway. */
    retry?: boolean;
  },
): Promise<BatchResult> {
  const { db } = deps;
  const window = await db
    .select({ id: enrollments.id, workflowId: enrollments.workflowId })
    .from(enrollments)
    .where(
      and(
        targets(input.workspaceId, input.journeyId, input.action, input.filter)(db),
        input.after ? gt(enrollments.id, input.after) : undefined,
      ),
    )
    .orderBy(asc(enrollments.id))
    .limit(input.limit);
  const last = window.at(-1)?.id ?? null;
  const done = (changed: number): BatchResult => ({ last, handled: window.length, changed, skipped: {} });
  if (window.length === 0) {
    if (input.action === "resume" && input.retry) {
      const missed = await resumesMissed(db, input, undefined);
      await inParallel(missed, IN_FLIGHT, (r) => signalResume(deps, r.workflowId));
    }
    return done(0);
  }
  const ids = inArray(
    enrollments.id,
    window.map((e) => e.id),
  );
  switch (input.action) {
    case "pause": {
      const paused = await db
        .update(enrollments)
        .set({ pausedAt: deps.clock.now() })
        .where(and(ids, isNull(enrollments.pausedAt)))
        .returning({ id: enrollments.id });
      return done(paused.length);
    }
    case "resume": {
      const resumed = await db
        .update(enrollments)
        .set({ pausedAt: null })
        .where(and(ids, isNotNull(enrollments.pausedAt)))
        .returning({ workflowId: enrollments.workflowId });
      const missed = input.retry ? await resumesMissed(db, input, window[0]?.id) : [];
      await inParallel([...missed, ...resumed], IN_FLIGHT, (r) => signalResume(deps, r.workflowId));
      return done(resumed.length);
    }
    case "exit":
      await inParallel(window, IN_FLIGHT, (e) => exitEnrollment(deps, e, input.reason));
      return done(window.length);
  }
}

/**
 * The runs an earlier attempt of a resume batch cleared but may not have signalled: its window was the
 * first paused ones after `after`, all cleared by one UPDATE, so they lie before this attempt's first
 * (`before`). Held with no pause of their own, they wait for that resume; one sent twice is harmless.
 */
function resumesMissed(
  db: Db,
  input: { workspaceId: string; journeyId: string; filter: BulkFilter; after: string | null },
  before: string | undefined,
): Promise<{ workflowId: string }[]> {
  return db
    .select({ workflowId: enrollments.workflowId })
    .from(enrollments)
    .where(
      and(
        targets(input.workspaceId, input.journeyId, "exit", input.filter)(db),
        eq(enrollments.status, "held"),
        isNull(enrollments.pausedAt),
        input.after ? gt(enrollments.id, input.after) : undefined,
        before ? lt(enrollments.id, before) : undefined,
      ),
    );
}

/** A held run looks again at its touch; a run whose workflow is gone has nothing to resume. */
async function signalResume(deps: RuntimeDeps, workflowId: string): Promise<void> {
  try {
    await deps.client.workflow.getHandle(workflowId).signal(resumeSignal);
  } catch (err) {
    if ((err as Error).name !== "WorkflowNotFoundError") throw err;
  }
}

export type BulkCounts = { done: number; changed: number; skipped: Record<string, number> };

/** Runs `batch` after batch, each after the last id of the one before, until one comes back short. */
export async function everyBatch(
  batch: (after: string | null, limit: number) => Promise<BatchResult>,
): Promise<BulkCounts> {
  let sum: BulkCounts = { done: 0, changed: 0, skipped: {} };
  let after: string | null = null;
  for (;;) {
    const result = await batch(after, BULK_BATCH);
    sum = addBatch(sum, result);
    if (result.handled < BULK_BATCH) return sum;
    after = result.last;
  }
}

/** Adds one batch's counts to the counts so far. */
export function addBatch(sum: BulkCounts, batch: BatchResult): BulkCounts {
  const skipped = { ...sum.skipped };
  for (const [reason, n] of Object.entries(batch.skipped)) skipped[reason] = (skipped[reason] ?? 0) + n;
  return { done: sum.done + batch.handled, changed: sum.changed + batch.changed, skipped };
}
