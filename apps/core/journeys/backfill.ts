import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { accounts } from "../../../db/schema/index";
import type { JourneyDefinition, Trigger } from "../../../workflows/journey/schema";
import { type BatchResult, countAccounts, enrollBatch, everyBatch } from "../enrollments/bulk-batches";
import { previewEnrollMany } from "../enrollments/enroll";
import type { RuntimeDeps } from "../enrollments/runtime";

export const BackfillOption = z.union([z.boolean(), z.literal("dry_run")]).meta({
  description:
    "Also enroll the accounts that already match the trigger and audience (`true`), or only count them without publishing anything (`dry_run`). Stage, health band and renewal window triggers only: an event has no past to replay, and a manual journey is filled with POST /v1/enrollments/bulk.",
  example: "dry_run",
});
export type BackfillOption = z.infer<typeof BackfillOption>;

const Skipped = z.record(z.string(), z.number().int()).meta({
  description: "Matching accounts left out, by the entry rule that refused them (e.g. already enrolled)",
  example: { "already enrolled": 2 },
});

export const BackfillResult = z
  .object({
    matched: z.number().int().meta({ description: "Accounts matching the trigger and audience now" }),
    enrolled: z.number().int(),
    skipped: Skipped,
  })
  .meta({ id: "BackfillResult" });
export type BackfillResult = z.infer<typeof BackfillResult>;

export const BackfillPreview = z
  .object({
    key: z.string(),
    dryRun: z.literal(true),
    matched: z.number().int().meta({ description: "Accounts matching the trigger and audience now" }),
    wouldEnroll: z.number().int(),
    skipped: Skipped,
  })
  .meta({
    id: "BackfillPreview",
    description: "What a backfill would do; nothing was published or enrolled",
  });
export type BackfillPreview = z.infer<typeof BackfillPreview>;

/** Why a journey's trigger has no accounts to backfill, or undefined when it has. */
export function backfillRefusal(trigger: { type?: unknown } | undefined): string | undefined {
  if (trigger?.type === "event")
    return "an event-triggered journey has no backfill: events are not replayed, its next events enroll";
  if (trigger?.type === "manual")
    return "a manual journey has no trigger to match: enroll by filter with POST /v1/enrollments/bulk";
  return undefined;
}

/**
 * The accounts a trigger would have enrolled had the journey been live: those now in its stage or
 * health band, or inside its renewal window. The audience's tiers and stages narrow in SQL; its
 * condition and the re-entry rules are judged by enrollMany.
 */
function matching(definition: JourneyDefinition, at: Date): (SQL | undefined)[] {
  const { audience } = definition;
  return [
    triggerCondition(definition.trigger, at),
    audience.tiers ? inArray(accounts.tier, audience.tiers) : undefined,
    audience.stages ? inArray(accounts.lifecycleStage, audience.stages) : undefined,
  ];
}

async function matchingAccounts(
  db: Db,
  workspaceId: string,
  definition: JourneyDefinition,
  at: Date,
): Promise<string[]> {
  const rows = await db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, workspaceId), ...matching(definition, at)))
    .orderBy(accounts.id);
  return rows.map((r) => r.id);
}

/** How many accounts a backfill of `definition` would look at now (before the entry rules). */
export function countBackfill(
  db: Db,
  input: { workspaceId: string; definition: JourneyDefinition; at: Date },
): Promise<number> {
  return countAccounts(db, input.workspaceId, matching(input.definition, input.at));
}

/**
 * Enrolls the next batch of accounts (by id, after `after`) matching a live journey's trigger and
 * audience as of `at`: the synchronous backfill's loop, and one activity of a backfill operation.
 */
export function backfillBatch(
  deps: RuntimeDeps,
  input: {
    workspaceId: string;
    journeyId: string;
    definition: JourneyDefinition;
    at: Date;
    after: string | null;
    limit: number;
  },
): Promise<BatchResult> {
  return enrollBatch(deps, {
    workspaceId: input.workspaceId,
    journeyId: input.journeyId,
    where: matching(input.definition, input.at),
    trigger: "backfill",
    after: input.after,
    limit: input.limit,
  });
}

function triggerCondition(trigger: Trigger, at: Date): SQL | undefined {
  switch (trigger.type) {
    case "stage_entered":
      return eq(accounts.lifecycleStage, trigger.stage);
    case "health_band_entered":
      return eq(accounts.healthBand, trigger.band);
    case "renewal_window": {
      // The daily scan's window (scanRenewalWindows): renewal still ahead, within daysBefore.
      const today = at.toISOString().slice(0, 10);
      return and(
        sql`${accounts.renewalDate} > ${today}::date`,
        sql`${accounts.renewalDate} - ${trigger.daysBefore}::int <= ${today}::date`,
      );
    }
    case "event":
    case "manual":
      throw new Error(`no backfill for a ${trigger.type} trigger (see backfillRefusal)`);
  }
}

/** Counts what a backfill of `definition` would enroll now, without writing anything. */
export async function previewBackfill(
  db: Db,
  input: {
    workspaceId: string;
    journey: { id: string; key: string; definition: JourneyDefinition };
    at: Date;
  },
): Promise<BackfillPreview> {
  const ids = await matchingAccounts(db, input.workspaceId, input.journey.definition, input.at);
  const preview = await previewEnrollMany(db, {
    workspaceId: input.workspaceId,
    journey: input.journey,
    accountIds: ids,
    at: input.at,
  });
  return {
    key: input.journey.key,
    dryRun: true,
    matched: ids.length,
    wouldEnroll: preview.wouldEnroll,
    skipped: preview.refused,
  };
}

/**
 * Enrolls the accounts matching a live journey's trigger and audience, set-based, batch by batch.
 * Repeating it enrolls no one twice: the re-entry rules see the first backfill's enrollments, and the
 * workflow ids are deterministic.
 */
export async function backfill(
  deps: RuntimeDeps,
  input: { workspaceId: string; journeyId: string; definition: JourneyDefinition },
): Promise<BackfillResult> {
  const at = deps.clock.now();
  const sum = await everyBatch((after, limit) => backfillBatch(deps, { ...input, at, after, limit }));
  return { matched: sum.done, enrolled: sum.changed, skipped: sum.skipped };
}
