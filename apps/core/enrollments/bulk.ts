import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { accounts, journeys, journeyVersions } from "../../../db/schema/index";
import { JourneyDefinition, JourneyKey } from "../../../workflows/journey/schema";
import type { Refusal } from "../shared/refusal";
import {
  countAccounts,
  countEnrollmentTargets,
  enrollBatch,
  enrollmentBatch,
  everyBatch,
  filterConditions,
} from "./bulk-batches";
import { BulkFilter } from "./bulk-filter";
import {
  type BulkLimits,
  type BulkOperation,
  defaultBulkLimits,
  startBulkOperation,
} from "./bulk-operations";
import { previewEnrollMany } from "./enroll";
import type { RuntimeDeps } from "./runtime";

export const BulkRequest = z
  .strictObject({
    action: z.enum(["enroll", "pause", "resume", "exit"]).meta({
      description:
        "enroll: the matching accounts enter the journey (its audience and re-entry rules apply); pause: their running enrollments hold before their next touch; resume: paused ones go on; exit: running ones leave",
    }),
    journey: JourneyKey.meta({ example: "onboarding-tech-touch" }),
    filter: BulkFilter,
    dryRun: z.boolean().default(false).meta({ description: "Only count; change nothing" }),
    reason: z.string().min(1).max(200).optional().meta({ description: "Exit reason (default bulk_exit)" }),
  })
  .meta({ id: "BulkRequest" });
export type BulkRequest = z.infer<typeof BulkRequest>;

export const BulkResult = z
  .object({
    action: BulkRequest.shape.action,
    journey: z.string(),
    dryRun: z.boolean(),
    matched: z.number().int().meta({
      description: "enroll: accounts matching the filter; otherwise their enrollments the action applies to",
    }),
    changed: z
      .number()
      .int()
      .meta({ description: "Enrolled, paused, resumed or exited (would be, in a dry run)" }),
    skipped: z.record(z.string(), z.number().int()).meta({
      description: "Accounts not enrolled, by the entry rule that refused them",
      example: { "already enrolled": 3 },
    }),
  })
  .meta({ id: "BulkResult" });
export type BulkResult = z.infer<typeof BulkResult>;

export type BulkOutcome =
  | { ok: true; result: BulkResult }
  | { ok: true; operation: BulkOperation }
  | { ok: false; refusal: Extract<Refusal, "not_found" | "conflict">; pointer: string; detail: string };

/**
 * Enrolls, pauses, resumes or exits the accounts a filter names, in one journey. Set-based, batch by
 * batch (keyset by id): enrollMany enrolls, one UPDATE pauses, resume and exit signal each run (16 at
 * a time). Up to `limits.syncLimit` accounts or enrollments (and unless `background` is asked for), it
 * is done before it answers, with the counts; above, it is recorded as a bulk operation that a
 * workflow runs with its progress, and the operation is the answer. A dry run only counts, always at
 * once. Safe to repeat: a second call finds nothing left to change.
 */
export async function bulkEnrollments(
  deps: RuntimeDeps,
  workspaceId: string,
  request: BulkRequest,
  options: { background?: boolean; limits?: Partial<BulkLimits> } = {},
): Promise<BulkOutcome> {
  const { db } = deps;
  const limits = { ...defaultBulkLimits, ...options.limits };
  const [journey] = await db
    .select({ id: journeys.id, status: journeys.status, definition: journeyVersions.definition })
    .from(journeys)
    .leftJoin(
      journeyVersions,
      and(eq(journeyVersions.journeyId, journeys.id), eq(journeyVersions.version, journeys.latestVersion)),
    )
    .where(and(eq(journeys.workspaceId, workspaceId), eq(journeys.key, request.journey)));
  if (!journey)
    return {
      ok: false,
      refusal: "not_found",
      pointer: "/journey",
      detail: `No journey "${request.journey}".`,
    };
  const { action, filter } = request;
  const base = { action, journey: request.journey, dryRun: request.dryRun, skipped: {} };

  if (
    action === "enroll" &&
    (!journey.definition || (journey.status !== "active" && journey.status !== "paused"))
  )
    return {
      ok: false,
      refusal: "conflict",
      pointer: "/journey",
      detail: `Journey "${request.journey}" is ${journey.status}${journey.definition ? "" : " and unpublished"}: no one can enter it.`,
    };
  if (action === "enroll" && request.dryRun) {
    const ids = await db
      .select({ id: accounts.id })
      .from(accounts)
      .where(and(eq(accounts.workspaceId, workspaceId), ...filterConditions(filter)))
      .orderBy(accounts.id);
    const preview = await previewEnrollMany(db, {
      workspaceId,
      journey: { id: journey.id, definition: JourneyDefinition.parse(journey.definition) },
      accountIds: ids.map((a) => a.id),
      at: deps.clock.now(),
    });
    return {
      ok: true,
      result: { ...base, matched: ids.length, changed: preview.wouldEnroll, skipped: preview.refused },
    };
  }

  const total =
    action === "enroll"
      ? await countAccounts(db, workspaceId, filterConditions(filter))
      : await countEnrollmentTargets(db, { workspaceId, journeyId: journey.id, action, filter });
  if (request.dryRun) return { ok: true, result: { ...base, matched: total, changed: total } };
  if (options.background || total > limits.syncLimit) {
    const operation = await startBulkOperation(deps, {
      workspaceId,
      journey: { id: journey.id, key: request.journey },
      kind: action,
      request: { filter, ...(request.reason ? { reason: request.reason } : {}) },
      total,
      batchSize: limits.batchSize,
    });
    return { ok: true, operation };
  }

  const sum = await everyBatch((after, limit) =>
    action === "enroll"
      ? enrollBatch(deps, {
          workspaceId,
          journeyId: journey.id,
          where: filterConditions(filter),
          trigger: "bulk",
          after,
          limit,
        })
      : enrollmentBatch(deps, {
          workspaceId,
          journeyId: journey.id,
          action,
          filter,
          reason: request.reason ?? "bulk_exit",
          after,
          limit,
        }),
  );
  return { ok: true, result: { ...base, matched: sum.done, changed: sum.changed, skipped: sum.skipped } };
}
