import { sql } from "drizzle-orm";
import type { Db } from "../../../db/client";

export const SUMMARY_BANDS = ["red", "yellow", "green", "unscored"] as const;
export type SummaryBand = (typeof SUMMARY_BANDS)[number];

export type BandSummary = { band: SummaryBand; now: number; before: number }[];

const DAY_MS = 86_400_000;

/**
 * How many of the workspace's accounts are in each health band now (their latest score) and were
 * `days` ago (their latest history row then; none yet: unscored). One grouped query: each account's
 * earlier band is one index lookup on account_health (account, computed_at).
 */
export async function bandSummary(db: Db, workspaceId: string, now: Date, days = 7): Promise<BandSummary> {
  const then = new Date(now.getTime() - days * DAY_MS).toISOString();
  const result = await db.execute(sql`
    select coalesce(a.health_band, 'unscored') as now_band, coalesce(h.band, 'unscored') as then_band,
      count(*)::int as n
    from accounts a
    left join lateral (
      select band from account_health
      where account_id = a.id and computed_at <= ${then}::timestamptz
      order by computed_at desc
      limit 1
    ) h on true
    where a.workspace_id = ${workspaceId}
    group by 1, 2
  `);
  // PGlite answers { rows }, postgres.js an array.
  type Row = { now_band: SummaryBand; then_band: SummaryBand; n: number };
  const rows = (result as { rows?: Row[] }).rows ?? (result as unknown as Row[]);
  return SUMMARY_BANDS.map((band) => ({
    band,
    now: rows.filter((r) => r.now_band === band).reduce((sum, r) => sum + Number(r.n), 0),
    before: rows.filter((r) => r.then_band === band).reduce((sum, r) => sum + Number(r.n), 0),
  }));
}
