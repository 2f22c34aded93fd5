import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accountHealth, accounts } from "../../../db/schema/index";
import { type HealthResult, type MetricValues, type Scorecard, scoreAccount } from "./scorecard";

type Band = HealthResult["band"];
export type BandCounts = Record<Band, number>;

/** One account whose band an edited scorecard would change. */
export type BandChange = {
  externalId: string;
  name: string;
  from: Band;
  to: Band;
  scoreFrom: number;
  scoreTo: number;
};

export type BandPreview = {
  /** Accounts with a stored health run to score again. */
  accounts: number;
  now: BandCounts;
  edited: BandCounts;
  /** How many accounts change band, and the first few of them (by external id). */
  changed: number;
  examples: BandChange[];
};

const EXAMPLES = 5;

/**
 * How the workspace's accounts would fall into bands with an edited scorecard, against the current
 * one: both score each account's latest stored metric values (the raw values of its last health run),
 * so the difference is the edit's alone. A measure the last run did not record counts as unknown.
 */
export async function previewBands(
  db: Db,
  workspaceId: string,
  current: Scorecard,
  edited: Scorecard,
): Promise<BandPreview> {
  const rows = await db
    .select({
      externalId: accounts.externalId,
      name: accounts.name,
      tier: accounts.tier,
      measures: accountHealth.measures,
    })
    .from(accounts)
    .innerJoin(
      accountHealth,
      and(eq(accountHealth.accountId, accounts.id), eq(accountHealth.computedAt, accounts.healthComputedAt)),
    )
    .where(and(eq(accounts.workspaceId, workspaceId), eq(accountHealth.workspaceId, workspaceId)))
    .orderBy(asc(accounts.externalId));
  const now: BandCounts = { red: 0, yellow: 0, green: 0 };
  const after: BandCounts = { red: 0, yellow: 0, green: 0 };
  const changes: BandChange[] = [];
  for (const row of rows) {
    const values = metricValuesOf(current, row.measures);
    const before = scoreAccount(current, row.tier, values);
    const then = scoreAccount(edited, row.tier, values);
    now[before.band] += 1;
    after[then.band] += 1;
    if (before.band !== then.band)
      changes.push({
        externalId: row.externalId,
        name: row.name,
        from: before.band,
        to: then.band,
        scoreFrom: before.score,
        scoreTo: then.score,
      });
  }
  return {
    accounts: rows.length,
    now,
    edited: after,
    changed: changes.length,
    examples: changes.slice(0, EXAMPLES),
  };
}

/** A health run stores values by measure key; the scorecard that ran says which metric each key measured. */
function metricValuesOf(card: Scorecard, measures: Record<string, { value: number }>): MetricValues {
  const values: MetricValues = {};
  for (const m of card.measures) {
    const stored = measures[m.key];
    if (stored && typeof stored.value === "number") values[m.metric] = stored.value;
  }
  return values;
}
