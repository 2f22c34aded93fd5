import { z } from "@hono/zod-openapi";
import { and, asc, eq, getTableColumns, gt, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, lifecycleStages, tiers } from "../../../db/schema/index";
import type { AccountHealth } from "../health/health";
import { decodeCursor, toPage } from "../shared/pagination";
import {
  Attributes,
  ExternalIdCursor,
  IsoDate,
  MAX_AMOUNT,
  MAX_INT4,
  storableText,
  TimeZone,
} from "../shared/validators";

export const Tier = z.enum(tiers).openapi("Tier");
export const LifecycleStage = z.enum(lifecycleStages).openapi("LifecycleStage");
export type LifecycleStage = z.infer<typeof LifecycleStage>;

const accountFields = {
  name: z.string().trim().min(1).max(300),
  tier: Tier.default("tech_touch"),
  arr: z
    .number()
    .nonnegative()
    .max(MAX_AMOUNT)
    .nullable()
    .optional()
    .openapi({ description: "Annual recurring revenue" }),
  licenses: z.number().int().nonnegative().max(MAX_INT4).nullable().optional(),
  contractStart: IsoDate.nullable().optional(),
  renewalDate: IsoDate.nullable().optional(),
  lifecycleStage: LifecycleStage.default("onboarding"),
  ownerCsm: z.email().nullable().optional().openapi({ description: "Email of the owning CSM" }),
  timezone: TimeZone.nullable().optional(),
  attributes: Attributes.default({}),
};

/** Body of PUT /v1/accounts/{externalId}: the whole account. */
export const AccountInput = storableText(z.strictObject(accountFields)).openapi("AccountInput");
export type AccountInput = z.infer<typeof AccountInput>;

/** Body of PATCH /v1/accounts/{externalId}: any subset; `attributes` are merged key by key. */
export const AccountPatch = storableText(
  z.strictObject({
    name: accountFields.name.optional(),
    tier: Tier.optional(),
    arr: accountFields.arr,
    licenses: accountFields.licenses,
    contractStart: accountFields.contractStart,
    renewalDate: accountFields.renewalDate,
    lifecycleStage: LifecycleStage.optional(),
    ownerCsm: accountFields.ownerCsm,
    timezone: accountFields.timezone,
    attributes: Attributes.optional(),
  }),
).openapi("AccountPatch");
export type AccountPatch = z.infer<typeof AccountPatch>;

const HealthBand = z.enum(["red", "yellow", "green"]);

const accountObject = z.object({
  externalId: z.string(),
  name: z.string(),
  tier: Tier,
  arr: z.number().nullable(),
  licenses: z.number().int().nullable(),
  contractStart: z.string().nullable(),
  renewalDate: z.string().nullable(),
  lifecycleStage: LifecycleStage,
  ownerCsm: z.string().nullable(),
  timezone: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  lastSeenAt: z.string().nullable().openapi({ description: "Time of the latest event received" }),
  lastLoginAt: z.string().nullable().openapi({ description: "Time of the latest `login` event" }),
  health: z
    .object({ score: z.number().int(), band: HealthBand, computedAt: z.string() })
    .nullable()
    .openapi({ description: "The latest health score; GET of one account adds its trend and measures" }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** An account as lists, PUT and PATCH return it: the latest health score without its history. */
export const Account = accountObject.openapi("Account");
export type Account = z.infer<typeof Account>;

/** One account as GET returns it: health with its trend and measures (a few more queries). */
export const AccountDetail = accountObject
  .extend({
    health: z
      .object({
        score: z.number().int(),
        band: HealthBand,
        computedAt: z.string(),
        trend: z
          .object({ days7: z.number().nullable(), days28: z.number().nullable() })
          .openapi({ description: "Change of the score over 7 and 28 days; null without enough history" }),
        measures: z
          .record(z.string(), z.object({ value: z.number(), score: z.number() }))
          .openapi({ description: "Each scorecard measure's raw value and 0–100 score" }),
      })
      .nullable()
      .openapi({ description: "The current health score, band, trend and measures" }),
  })
  .openapi("AccountDetail");
export type AccountDetail = z.infer<typeof AccountDetail>;

type AccountRow = typeof accounts.$inferSelect;

export function toAccount(row: AccountRow): Account {
  return {
    externalId: row.externalId,
    name: row.name,
    tier: row.tier,
    arr: row.arr,
    licenses: row.licenses,
    contractStart: row.contractStart,
    renewalDate: row.renewalDate,
    lifecycleStage: row.lifecycleStage,
    ownerCsm: row.ownerCsm,
    timezone: row.timezone,
    attributes: row.attributes,
    lastSeenAt: row.lastSeenAt?.toISOString() ?? null,
    lastLoginAt: row.lastLoginAt?.toISOString() ?? null,
    health:
      row.healthScore !== null && row.healthBand && row.healthComputedAt
        ? { score: row.healthScore, band: row.healthBand, computedAt: row.healthComputedAt.toISOString() }
        : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Creates or replaces an account. `previousStage` is the stage it had before (null when created), so
 * the caller can start the journeys of a stage it entered.
 */
/** `health` is what `currentHealth` found; the account's own columns stand in before any history. */
export function toAccountDetail(row: AccountRow, health: AccountHealth | null): AccountDetail {
  const account = toAccount(row);
  if (health) {
    const { score, band, computedAt, trend, measures } = health;
    return { ...account, health: { score, band, computedAt, trend, measures } };
  }
  return {
    ...account,
    health: account.health && { ...account.health, trend: { days7: null, days28: null }, measures: {} },
  };
}

export async function upsertAccount(
  db: Db,
  workspaceId: string,
  externalId: string,
  input: AccountInput,
): Promise<{ account: Account; created: boolean; previousStage: LifecycleStage | null }> {
  const values = {
    name: input.name,
    tier: input.tier,
    arr: input.arr ?? null,
    licenses: input.licenses ?? null,
    contractStart: input.contractStart ?? null,
    renewalDate: input.renewalDate ?? null,
    lifecycleStage: input.lifecycleStage,
    ownerCsm: input.ownerCsm ?? null,
    timezone: input.timezone ?? null,
    attributes: input.attributes,
  };
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({ lifecycleStage: accounts.lifecycleStage })
      .from(accounts)
      .where(and(eq(accounts.workspaceId, workspaceId), eq(accounts.externalId, externalId)))
      .for("update");
    const [row] = await tx
      .insert(accounts)
      .values({ workspaceId, externalId, ...values })
      .onConflictDoUpdate({
        target: [accounts.workspaceId, accounts.externalId],
        set: { ...values, updatedAt: new Date() },
      })
      .returning({ ...getTableColumns(accounts), created: sql<boolean>`(xmax = 0)` });
    if (!row) throw new Error("account upsert returned nothing");
    return {
      account: toAccount(row),
      created: Boolean(row.created),
      previousStage: before?.lifecycleStage ?? null,
    };
  });
}

export async function findAccountRow(
  db: Db,
  workspaceId: string,
  externalId: string,
): Promise<AccountRow | null> {
  const [row] = await db
    .select()
    .from(accounts)
    .where(and(eq(accounts.workspaceId, workspaceId), eq(accounts.externalId, externalId)))
    .limit(1);
  return row ?? null;
}

export async function patchAccount(
  db: Db,
  workspaceId: string,
  externalId: string,
  patch: AccountPatch,
): Promise<{ before: Account; after: Account } | null> {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(accounts)
      .where(and(eq(accounts.workspaceId, workspaceId), eq(accounts.externalId, externalId)))
      .for("update");
    if (!current) return null;
    const { attributes, ...rest } = patch;
    const [updated] = await tx
      .update(accounts)
      .set({
        ...rest,
        ...(attributes ? { attributes: { ...current.attributes, ...attributes } } : {}),
        updatedAt: new Date(),
      })
      .where(eq(accounts.id, current.id))
      .returning();
    if (!updated) throw new Error("account update returned nothing");
    return { before: toAccount(current), after: toAccount(updated) };
  });
}

export const AccountListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: ExternalIdCursor.optional(),
  stage: LifecycleStage.optional(),
  tier: Tier.optional(),
  ownerCsm: z.email().optional(),
});
export type AccountListQuery = z.infer<typeof AccountListQuery>;

/** Keyset pagination in externalId order, so pages stay stable while accounts are added. */
export async function listAccounts(
  db: Db,
  workspaceId: string,
  query: AccountListQuery,
): Promise<{ data: Account[]; nextCursor: string | null }> {
  const after = decodeCursor(query.cursor)?.[0];
  const rows = await db
    .select()
    .from(accounts)
    .where(
      and(
        eq(accounts.workspaceId, workspaceId),
        after !== undefined ? gt(accounts.externalId, after) : undefined,
        query.stage ? eq(accounts.lifecycleStage, query.stage) : undefined,
        query.tier ? eq(accounts.tier, query.tier) : undefined,
        query.ownerCsm ? eq(accounts.ownerCsm, query.ownerCsm) : undefined,
      ),
    )
    .orderBy(asc(accounts.externalId))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (r) => [r.externalId], toAccount);
}
