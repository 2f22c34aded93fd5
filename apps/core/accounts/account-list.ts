import { and, asc, count, eq, gte, ilike, isNotNull, isNull, lte, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { accounts, lifecycleStages, tiers } from "../../../db/schema/index";
import { storableText } from "../shared/validators";

/** Accounts a console page shows. */
export const ACCOUNT_PAGE_SIZE = 50;
export const RENEWAL_WINDOWS = ["30", "60", "90", "120"] as const;
export const HEALTH_BANDS = ["red", "yellow", "green", "none"] as const;
/** Pages past this are refused rather than scanned (200 pages of 50: 10,000 accounts). */
const MAX_PAGE = 10_000;

/** An unknown value of a filter is no filter: a stale bookmark or a hand-typed URL still shows a page. */
const optional = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

/**
 * The console's accounts filters, from query parameters. Every field is lenient: what does not parse
 * is ignored, so a bad parameter never fails the page.
 */
export const AccountFilters = z.object({
  tier: optional(z.enum(tiers)),
  band: optional(z.enum(HEALTH_BANDS)),
  stage: optional(z.enum(lifecycleStages)),
  owner: optional(storableText(z.string().trim().min(1).max(320))),
  renewal: optional(z.enum(RENEWAL_WINDOWS)),
  q: optional(storableText(z.string().trim().min(1).max(200))),
  page: z.coerce.number().int().min(1).max(MAX_PAGE).catch(1).default(1),
});
export type AccountFilters = z.infer<typeof AccountFilters>;

export type AccountListRow = {
  externalId: string;
  name: string;
  tier: (typeof tiers)[number];
  lifecycleStage: (typeof lifecycleStages)[number];
  healthScore: number | null;
  healthBand: "red" | "yellow" | "green" | null;
  arr: number | null;
  ownerCsm: string | null;
  renewalDate: string | null;
};

export type AccountListPage = { rows: AccountListRow[]; total: number; page: number; pages: number };

/**
 * One page of a workspace's accounts by name, filtered. `today` (YYYY-MM-DD) anchors the renewal
 * window. Offset pages: at 50 a page and 10,000 accounts the offset stays small, and people jump to a
 * page number, which a keyset cannot do.
 */
export async function listAccountPage(
  db: Db,
  workspaceId: string,
  filters: AccountFilters,
  today: string,
): Promise<AccountListPage> {
  const where = and(eq(accounts.workspaceId, workspaceId), ...conditions(filters, today));
  const [rows, [counted]] = await Promise.all([
    db
      .select({
        externalId: accounts.externalId,
        name: accounts.name,
        tier: accounts.tier,
        lifecycleStage: accounts.lifecycleStage,
        healthScore: accounts.healthScore,
        healthBand: accounts.healthBand,
        arr: accounts.arr,
        ownerCsm: accounts.ownerCsm,
        renewalDate: accounts.renewalDate,
      })
      .from(accounts)
      .where(where)
      .orderBy(asc(accounts.name), asc(accounts.externalId))
      .limit(ACCOUNT_PAGE_SIZE)
      .offset((filters.page - 1) * ACCOUNT_PAGE_SIZE),
    db.select({ n: count() }).from(accounts).where(where),
  ]);
  const total = counted?.n ?? 0;
  return { rows, total, page: filters.page, pages: Math.max(1, Math.ceil(total / ACCOUNT_PAGE_SIZE)) };
}

function conditions(f: AccountFilters, today: string): (SQL | undefined)[] {
  return [
    f.tier ? eq(accounts.tier, f.tier) : undefined,
    f.stage ? eq(accounts.lifecycleStage, f.stage) : undefined,
    f.band === "none" ? isNull(accounts.healthBand) : f.band ? eq(accounts.healthBand, f.band) : undefined,
    f.owner ? eq(accounts.ownerCsm, f.owner) : undefined,
    ...(f.renewal
      ? [
          isNotNull(accounts.renewalDate),
          gte(accounts.renewalDate, today),
          lte(accounts.renewalDate, addDays(today, Number(f.renewal))),
        ]
      : []),
    f.q ? ilike(accounts.name, `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) : undefined,
  ];
}

function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The CSMs who own accounts in the workspace, for the owner filter. */
export async function accountOwners(db: Db, workspaceId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ owner: accounts.ownerCsm })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, workspaceId), isNotNull(accounts.ownerCsm)))
    .orderBy(asc(accounts.ownerCsm))
    .limit(500);
  return rows.flatMap((r) => (r.owner ? [r.owner] : []));
}
