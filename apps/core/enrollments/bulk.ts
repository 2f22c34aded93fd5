import { and, eq, inArray, isNotNull, isNull, type SQL } from "drizzle-orm";
import { z } from "zod";
import { accounts, enrollments, journeys, journeyVersions } from "../../../db/schema/index";
import { resumeSignal } from "../../../workflows/contracts";
import { HealthBand, JourneyDefinition, JourneyKey, Stage, Tier } from "../../../workflows/journey/schema";
import { inParallel } from "../shared/in-parallel";
import type { Refusal } from "../shared/refusal";
import { ExternalId } from "../shared/validators";
import { enrollMany, previewEnrollMany } from "./enroll";
import { exitEnrollment, type RuntimeDeps } from "./runtime";

/** Most account ids one request may name; larger sets are said with tiers, stages, bands or owners. */
export const MAX_BULK_IDS = 10_000;
/** Signals (exit, resume) in flight at once. */
const IN_FLIGHT = 16;

export const BulkFilter = z
  .strictObject({
    tiers: z.array(Tier).min(1).optional(),
    stages: z.array(Stage).min(1).optional(),
    bands: z.array(HealthBand).min(1).optional().meta({ description: "Current health bands" }),
    owners: z.array(z.email()).min(1).max(100).optional().meta({ description: "Owner CSMs' emails" }),
    accounts: z
      .array(ExternalId)
      .min(1)
      .max(MAX_BULK_IDS)
      .optional()
      .meta({ description: `Account externalIds, at most ${MAX_BULK_IDS}` }),
  })
  .refine((f) => Object.values(f).some((v) => v !== undefined), {
    message: "must name at least one of tiers, stages, bands, owners or accounts",
  })
  .meta({
    id: "BulkFilter",
    description: "Accounts matching every criterion given (and any value within one)",
    example: { tiers: ["tech_touch"], stages: ["onboarding"] },
  });
export type BulkFilter = z.infer<typeof BulkFilter>;

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
  | { ok: false; refusal: Extract<Refusal, "not_found" | "conflict">; pointer: string; detail: string };

/**
 * Enrolls, pauses, resumes or exits the accounts a filter names, in one journey. Set-based: one query
 * finds the accounts or enrollments, enrollMany enrolls in batches, one UPDATE pauses; resume and exit
 * signal each run (16 at a time). Synchronous: the response carries the counts when done. Safe to
 * repeat: a second call finds nothing left to change.
 */
export async function bulkEnrollments(
  deps: RuntimeDeps,
  workspaceId: string,
  request: BulkRequest,
): Promise<BulkOutcome> {
  const { db } = deps;
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
  const base = { action: request.action, journey: request.journey, dryRun: request.dryRun, skipped: {} };
  const accountIds = db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, workspaceId), ...filterConditions(request.filter)));

  if (request.action === "enroll") {
    if (!journey.definition || (journey.status !== "active" && journey.status !== "paused"))
      return {
        ok: false,
        refusal: "conflict",
        pointer: "/journey",
        detail: `Journey "${request.journey}" is ${journey.status}${journey.definition ? "" : " and unpublished"}: no one can enter it.`,
      };
    const ids = (await accountIds.orderBy(accounts.id)).map((a) => a.id);
    const at = deps.clock.now();
    if (request.dryRun) {
      const definition = JourneyDefinition.parse(journey.definition);
      const preview = await previewEnrollMany(db, {
        workspaceId,
        journey: { id: journey.id, definition },
        accountIds: ids,
        at,
      });
      return {
        ok: true,
        result: { ...base, matched: ids.length, changed: preview.wouldEnroll, skipped: preview.refused },
      };
    }
    const outcomes = await enrollMany(deps, {
      workspaceId,
      journeyId: journey.id,
      accountIds: ids,
      trigger: "bulk",
      at,
    });
    const skipped: Record<string, number> = {};
    for (const o of outcomes) if (!o.enrolled) skipped[o.reason] = (skipped[o.reason] ?? 0) + 1;
    const changed = outcomes.length - Object.values(skipped).reduce((a, b) => a + b, 0);
    return { ok: true, result: { ...base, matched: ids.length, changed, skipped } };
  }

  const running = and(
    eq(enrollments.journeyId, journey.id),
    inArray(enrollments.status, ["active", "held"]),
    inArray(enrollments.accountId, accountIds),
    request.action === "pause"
      ? isNull(enrollments.pausedAt)
      : request.action === "resume"
        ? isNotNull(enrollments.pausedAt)
        : undefined,
  );
  const targets = await db
    .select({ id: enrollments.id, workflowId: enrollments.workflowId })
    .from(enrollments)
    .where(running);
  const counted = {
    ok: true as const,
    result: { ...base, matched: targets.length, changed: targets.length },
  };
  if (request.dryRun || targets.length === 0) return counted;
  switch (request.action) {
    case "pause": {
      const paused = await db
        .update(enrollments)
        .set({ pausedAt: deps.clock.now() })
        .where(running)
        .returning({ id: enrollments.id });
      return { ok: true, result: { ...counted.result, changed: paused.length } };
    }
    case "resume": {
      const resumed = await db
        .update(enrollments)
        .set({ pausedAt: null })
        .where(running)
        .returning({ workflowId: enrollments.workflowId });
      await inParallel(resumed, IN_FLIGHT, (r) => signalResume(deps, r.workflowId));
      return { ok: true, result: { ...counted.result, changed: resumed.length } };
    }
    case "exit":
      await inParallel(targets, IN_FLIGHT, (e) => exitEnrollment(deps, e, request.reason ?? "bulk_exit"));
      return counted;
  }
}

function filterConditions(filter: BulkFilter): (SQL | undefined)[] {
  return [
    filter.tiers ? inArray(accounts.tier, filter.tiers) : undefined,
    filter.stages ? inArray(accounts.lifecycleStage, filter.stages) : undefined,
    filter.bands ? inArray(accounts.healthBand, filter.bands) : undefined,
    filter.owners ? inArray(accounts.ownerCsm, filter.owners) : undefined,
    filter.accounts ? inArray(accounts.externalId, filter.accounts) : undefined,
  ];
}

/** A held run looks again at its touch; a run whose workflow is gone has nothing to resume. */
async function signalResume(deps: RuntimeDeps, workflowId: string): Promise<void> {
  try {
    await deps.client.workflow.getHandle(workflowId).signal(resumeSignal);
  } catch (err) {
    if ((err as Error).name !== "WorkflowNotFoundError") throw err;
  }
}
