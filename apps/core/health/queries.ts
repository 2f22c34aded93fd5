import { and, asc, desc, eq, gte, lte } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accountHealth } from "../../../db/schema/index";
import { type AccountHealth, findAccountRow } from "../accounts/accounts";

const DAY_MS = 86_400_000;

export type HealthWithHistory = {
  current: AccountHealth | null;
  history: { at: string; score: number; band: AccountHealth["band"] }[];
};

/**
 * An account's health now and its history between `from` and `to` (default: the 90 days before
 * `to`, which defaults to `now`). Null when there is no such account.
 */
export async function accountHealthHistory(
  db: Db,
  workspaceId: string,
  externalId: string,
  range: { from?: string | undefined; to?: string | undefined },
  now: Date,
): Promise<HealthWithHistory | null> {
  const account = await findAccountRow(db, workspaceId, externalId);
  if (!account) return null;
  const to = range.to ? new Date(range.to) : now;
  const from = range.from ? new Date(range.from) : new Date(to.getTime() - 90 * DAY_MS);
  return {
    current: await currentHealth(db, account.id),
    history: await healthHistory(db, account.id, from, to),
  };
}

/**
 * The current health with its trend ("a line, not a point": the change over 7 and 28 days, null
 * without enough history), or null before the first run.
 */
export async function currentHealth(db: Db, accountId: string): Promise<AccountHealth | null> {
  const [latest] = await db
    .select()
    .from(accountHealth)
    .where(eq(accountHealth.accountId, accountId))
    .orderBy(desc(accountHealth.computedAt))
    .limit(1);
  if (!latest) return null;
  const scoreAgo = async (days: number) => {
    const [row] = await db
      .select({ score: accountHealth.score })
      .from(accountHealth)
      .where(
        and(
          eq(accountHealth.accountId, accountId),
          lte(accountHealth.computedAt, new Date(latest.computedAt.getTime() - days * DAY_MS)),
        ),
      )
      .orderBy(desc(accountHealth.computedAt))
      .limit(1);
    return row ? latest.score - row.score : null;
  };
  return {
    score: latest.score,
    band: latest.band,
    computedAt: latest.computedAt.toISOString(),
    trend: { days7: await scoreAgo(7), days28: await scoreAgo(28) },
    measures: latest.measures,
  };
}

async function healthHistory(db: Db, accountId: string, from: Date, to: Date) {
  const rows = await db
    .select({ at: accountHealth.computedAt, score: accountHealth.score, band: accountHealth.band })
    .from(accountHealth)
    .where(
      and(
        eq(accountHealth.accountId, accountId),
        gte(accountHealth.computedAt, from),
        lte(accountHealth.computedAt, to),
      ),
    )
    .orderBy(asc(accountHealth.computedAt));
  return rows.map((r) => ({ at: r.at.toISOString(), score: r.score, band: r.band }));
}
