import { and, eq, sql } from "drizzle-orm";
import { builtOnce, type Db } from "../../../db/client";
import { accounts } from "../../../db/schema/index";
import { type AccountDetail, type AccountHealth, toAccountDetail } from "./accounts";

/** The latest health row with its 7- and 28-day changes, as one JSON value (null before any run). */
type LatestHealth = {
  score: number;
  band: AccountHealth["band"];
  computedAt: string;
  measures: AccountHealth["measures"];
  days7: number | null;
  days28: number | null;
};

/** The score `days` before the latest one's time, subtracted from it: null without that history. */
const changeOver = (days: number) =>
  sql.raw(`h.score - (
  select o.score from account_health o
  where o.account_id = h.account_id and o.computed_at <= h.computed_at - interval '${days} days'
  order by o.computed_at desc limit 1)`);

/**
 * Each account's latest health, by the (account_id, computed_at) index, read backwards once. The
 * account's id is qualified by hand: drizzle names a one-table select's columns bare, and a bare
 * "id" here would be account_health's.
 */
const latestHealth = sql<LatestHealth | null>`(
  select json_build_object(
    'score', h.score, 'band', h.band, 'computedAt', h.computed_at, 'measures', h.measures,
    'days7', ${changeOver(7)}, 'days28', ${changeOver(28)})
  from account_health h where h.account_id = "accounts"."id"
  order by h.computed_at desc limit 1)`;

/** GET /v1/accounts/{id} is the API's hottest read: built and prepared once. */
const detailQuery = builtOnce((db) =>
  db
    .select({ account: accounts, health: latestHealth })
    .from(accounts)
    .where(
      and(
        eq(accounts.workspaceId, sql.placeholder("workspaceId")),
        eq(accounts.externalId, sql.placeholder("externalId")),
      ),
    )
    .limit(1)
    .prepare("account_detail"),
);

/**
 * One account as GET /v1/accounts/{externalId} shows it, with its health trend and measures: one
 * statement, prepared once, where reading the account and then its health took two to four round
 * trips. Null when there is no such account.
 */
export async function accountDetail(
  db: Db,
  workspaceId: string,
  externalId: string,
): Promise<AccountDetail | null> {
  const [row] = await detailQuery(db).execute({ workspaceId, externalId });
  if (!row) return null;
  // Drivers differ: postgres.js parses json, a driver that does not hands the text over.
  const h = typeof row.health === "string" ? (JSON.parse(row.health) as LatestHealth) : row.health;
  return toAccountDetail(
    row.account,
    h && {
      score: h.score,
      band: h.band,
      // json_build_object writes PostgreSQL's timestamp text; the API answers ISO 8601 in UTC.
      computedAt: new Date(h.computedAt).toISOString(),
      trend: { days7: h.days7, days28: h.days28 },
      measures: h.measures,
    },
  );
}
