import type { Db } from "../../../db/client";
import { retentionReport } from "./retention";

export type QuarterlyRetention = {
  /** The last `count` quarters, oldest first, the current one last. */
  quarters: { year: number; quarter: number }[];
  grr: (number | null)[];
  nrr: (number | null)[];
  /** Renewals recorded over those quarters (0: nothing to chart). */
  renewals: number;
};

/**
 * GRR and NRR of each of the last `count` quarters up to `today` (retention.ts's report by quarter),
 * with null for a quarter without renewals, so a chart's axis keeps every quarter.
 */
export async function quarterlyRetention(
  db: Db,
  workspaceId: string,
  today: Date,
  count = 8,
): Promise<QuarterlyRetention> {
  const current = today.getUTCFullYear() * 4 + Math.floor(today.getUTCMonth() / 3);
  const quarters = Array.from({ length: count }, (_, i) => {
    const index = current - count + 1 + i;
    return { year: Math.floor(index / 4), quarter: (index % 4) + 1 };
  });
  const first = quarters[0] ?? { year: today.getUTCFullYear(), quarter: 1 };
  const from = `${String(first.year).padStart(4, "0")}-${String((first.quarter - 1) * 3 + 1).padStart(2, "0")}-01`;
  const report = await retentionReport(
    db,
    workspaceId,
    { from, to: today.toISOString().slice(0, 10), period: "quarter" },
    today,
  );
  const byLabel = new Map(report.periods.map((p) => [p.period, p.total]));
  const figures = quarters.map((q) => byLabel.get(`${String(q.year).padStart(4, "0")}-Q${q.quarter}`));
  return {
    quarters,
    grr: figures.map((x) => x?.grr ?? null),
    nrr: figures.map((x) => x?.nrr ?? null),
    renewals: report.total.renewals,
  };
}
