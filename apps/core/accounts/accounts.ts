import { and, asc, eq, gt } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { accounts, lifecycleStages, tiers } from "../../../db/schema/index";
import { EmailAddress } from "../shared/addresses";
import { decodeCursor, MAX_ATTRIBUTES_PAGE, toPage } from "../shared/pagination";
import {
  Attributes,
  ExternalIdCursor,
  IsoDate,
  MAX_AMOUNT,
  MAX_INT4,
  storableText,
  TimeZone,
} from "../shared/validators";
import { AccountContacts } from "./contact-input";

export const Tier = z.enum(tiers).meta({ id: "Tier" });
export const LifecycleStage = z.enum(lifecycleStages).meta({ id: "LifecycleStage" });
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
    .meta({ description: "Annual recurring revenue" }),
  licenses: z.number().int().nonnegative().max(MAX_INT4).nullable().optional(),
  contractStart: IsoDate.nullable().optional(),
  renewalDate: IsoDate.nullable().optional(),
  lifecycleStage: LifecycleStage.default("onboarding"),
  ownerCsm: EmailAddress.nullable().optional().meta({ description: "Email of the owning CSM" }),
  timezone: TimeZone.nullable().optional(),
  attributes: Attributes.default({}),
};

/** Body of PUT /v1/accounts/{externalId}: the whole account. */
export const AccountInput = storableText(
  z.strictObject({ ...accountFields, contacts: AccountContacts.optional() }),
).meta({ id: "AccountInput" });
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
).meta({ id: "AccountPatch" });
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
  lastSeenAt: z.string().nullable().meta({ description: "Time of the latest event received" }),
  lastLoginAt: z.string().nullable().meta({ description: "Time of the latest `login` event" }),
  health: z
    .object({ score: z.number().int(), band: HealthBand, computedAt: z.string() })
    .nullable()
    .meta({ description: "The latest health score; GET of one account adds its trend and measures" }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** An account as lists, PUT and PATCH return it: the latest health score without its history. */
export const Account = accountObject.meta({ id: "Account" });
export type Account = z.infer<typeof Account>;

/**
 * One account as GET returns it: health with its trend and measures. Built by `accountDetail`
 * (account-detail.ts) in one statement over the account_health table.
 */
export const AccountDetail = accountObject
  .extend({
    health: z
      .object({
        score: z.number().int(),
        band: HealthBand,
        computedAt: z.string(),
        trend: z
          .object({ days7: z.number().nullable(), days28: z.number().nullable() })
          .meta({ description: "Change of the score over 7 and 28 days; null without enough history" }),
        measures: z
          .record(z.string(), z.object({ value: z.number(), score: z.number() }))
          .meta({ description: "Each scorecard measure's raw value and 0–100 score" }),
      })
      .nullable()
      .meta({ description: "The current health score, band, trend and measures" }),
  })
  .meta({ id: "AccountDetail" });
export type AccountDetail = z.infer<typeof AccountDetail>;
/** An account's health now: score, band, trend and measures (health/ computes it). */
export type AccountHealth = NonNullable<AccountDetail["health"]>;

export type AccountRow = typeof accounts.$inferSelect;

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

export const AccountListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_ATTRIBUTES_PAGE).default(50),
  cursor: ExternalIdCursor.optional(),
  stage: LifecycleStage.optional(),
  tier: Tier.optional(),
  ownerCsm: EmailAddress.optional(),
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
