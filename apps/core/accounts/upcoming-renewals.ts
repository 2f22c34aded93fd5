import { and, asc, between, eq, ne, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts } from "../../../db/schema/index";

export type UpcomingRenewal = {
  externalId: string;
  name: string;
  renewalDate: string;
  arr: number | null;
  healthScore: number | null;
  healthBand: "red" | "yellow" | "green" | null;
};

const DAY_MS = 86_400_000;

/**
 * Accounts whose renewal date falls from `today` to `days` later, soonest first (at most `limit`),
 * with their current health and how many there are in all; churned accounts renew nothing. One query (the total is a window count).
 */
export async function upcomingRenewals(
  db: Db,
  workspaceId: string,
  today: Date,
  options: { days: number; limit: number },
): Promise<{ total: number; renewals: UpcomingRenewal[] }> {
  const from = today.toISOString().slice(0, 10);
  const to = new Date(today.getTime() + options.days * DAY_MS).toISOString().slice(0, 10);
  const rows = await db
    .select({
      externalId: accounts.externalId,
      name: accounts.name,
      renewalDate: accounts.renewalDate,
      arr: accounts.arr,
      healthScore: accounts.healthScore,
      healthBand: accounts.healthBand,
      total: sql<number>`count(*) over ()`,
    })
    .from(accounts)
    .where(
      and(
        eq(accounts.workspaceId, workspaceId),
        between(accounts.renewalDate, from, to),
        ne(accounts.lifecycleStage, "churned"),
      ),
    )
    .orderBy(asc(accounts.renewalDate), asc(accounts.name))
    .limit(options.limit);
  return {
    total: Number(rows[0]?.total ?? 0),
    renewals: rows.map(({ total: _total, renewalDate, ...r }) => ({
      ...r,
      renewalDate: renewalDate ?? from,
    })),
  };
}
