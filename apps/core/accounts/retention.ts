import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { IsoDate } from "../shared/validators";
import { Tier } from "./accounts";
import { RenewalOutcome } from "./renewals";

/**
 * Retention is measured by renewal cohort: the contracts that came up for renewal in a period, their
 * ARR before and after. GRR = (starting − churned − contraction) / starting, capped at 100% by
 * construction; NRR = ending / starting (expansion included).
 */

export const Period = z.enum(["month", "quarter", "year"]);

export const RetentionQuery = z.object({
  from: IsoDate.optional().meta({
    description: "First renewal date counted; default: a year before `to`",
  }),
  to: IsoDate.optional().meta({ description: "Last renewal date counted; default: today" }),
  period: Period.default("quarter"),
});
export type RetentionQuery = z.infer<typeof RetentionQuery>;

const Figures = z.object({
  renewals: z.number().int(),
  startingArr: z.number(),
  churnedArr: z.number(),
  contractionArr: z.number(),
  expansionArr: z.number(),
  endingArr: z.number(),
  grr: z.number().nullable().meta({ description: "Gross revenue retention, 0–1; null with no starting ARR" }),
  nrr: z.number().nullable().meta({ description: "Net revenue retention, 0–…; null with no starting ARR" }),
  outcomes: z.record(RenewalOutcome, z.number().int()),
});

export const RetentionReport = z
  .object({
    from: z.string(),
    to: z.string(),
    period: Period,
    periods: z.array(
      z.object({
        period: z.string().meta({ example: "2026-Q3" }),
        total: Figures,
        tiers: z.array(Figures.extend({ tier: Tier })),
      }),
    ),
    total: Figures.extend({ tiers: z.array(Figures.extend({ tier: Tier })) }),
  })
  .meta({ id: "RetentionReport" });
export type RetentionReport = z.infer<typeof RetentionReport>;

type Grouped = {
  period: string | null;
  tier: string | null;
  renewals: number;
  starting: string;
  churned: string;
  contraction: string;
  expansion: string;
  ending: string;
  renewed: number;
  expanded: number;
  contracted: number;
  churned_count: number;
};

const labels = { month: "YYYY-MM", quarter: 'YYYY-"Q"Q', year: "YYYY" } as const;

/** The same day a year earlier (29 February falls on 1 March), never before 0001-01-01. */
function yearBefore(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCFullYear(day.getUTCFullYear() - 1);
  return day.getUTCFullYear() < 1 ? "0001-01-01" : day.toISOString().slice(0, 10);
}

/** GRR and NRR by period and tier, one grouped query (grouping sets give the subtotals). */
export async function retentionReport(
  db: Db,
  workspaceId: string,
  query: RetentionQuery,
  today: Date,
): Promise<RetentionReport> {
  const to = query.to ?? today.toISOString().slice(0, 10);
  const from = query.from ?? yearBefore(to);
  const label = sql.raw(`'${labels[query.period]}'`);
  const unit = sql.raw(`'${query.period}'`);
  const result = await db.execute(sql`
    select r.period, r.tier,
      count(*)::int as renewals,
      sum(r.arr_before) as starting,
      sum(case when r.outcome = 'churned' then r.arr_before else 0 end) as churned,
      sum(case when r.outcome = 'contracted' then r.arr_before - r.arr_after else 0 end) as contraction,
      sum(case when r.outcome = 'expanded' then r.arr_after - r.arr_before else 0 end) as expansion,
      sum(r.arr_after) as ending,
      count(*) filter (where r.outcome = 'renewed')::int as renewed,
      count(*) filter (where r.outcome = 'expanded')::int as expanded,
      count(*) filter (where r.outcome = 'contracted')::int as contracted,
      count(*) filter (where r.outcome = 'churned')::int as churned_count
    from (
      select to_char(date_trunc(${unit}, renewal_date), ${label}) as period, tier, outcome, arr_before, arr_after
      from renewals
      where workspace_id = ${workspaceId} and renewal_date between ${from}::date and ${to}::date
    ) r
    group by grouping sets ((r.period, r.tier), (r.period), (r.tier), ())
    order by r.period nulls last, r.tier nulls first
  `);

  // PGlite answers { rows }, postgres.js an array.
  const rows = (result as { rows?: Grouped[] }).rows ?? (result as unknown as Grouped[]);
  const figures = (g: Grouped | undefined): z.infer<typeof Figures> => {
    const starting = Number(g?.starting ?? 0);
    const churned = Number(g?.churned ?? 0);
    const contraction = Number(g?.contraction ?? 0);
    const ending = Number(g?.ending ?? 0);
    const ratio = (n: number) => (starting > 0 ? Math.round((n / starting) * 10_000) / 10_000 : null);
    return {
      renewals: g?.renewals ?? 0,
      startingArr: starting,
      churnedArr: churned,
      contractionArr: contraction,
      expansionArr: Number(g?.expansion ?? 0),
      endingArr: ending,
      grr: ratio(starting - churned - contraction),
      nrr: ratio(ending),
      outcomes: {
        renewed: g?.renewed ?? 0,
        expanded: g?.expanded ?? 0,
        contracted: g?.contracted ?? 0,
        churned: g?.churned_count ?? 0,
      },
    };
  };
  const byTier = (list: Grouped[]) =>
    list.filter((g) => g.tier !== null).map((g) => ({ tier: g.tier as z.infer<typeof Tier>, ...figures(g) }));
  const periodNames = [...new Set(rows.flatMap((g) => (g.period === null ? [] : [g.period])))];
  return {
    from,
    to,
    period: query.period,
    periods: periodNames.map((period) => {
      const mine = rows.filter((g) => g.period === period);
      return { period, total: figures(mine.find((g) => g.tier === null)), tiers: byTier(mine) };
    }),
    total: {
      ...figures(rows.find((g) => g.period === null && g.tier === null)),
      tiers: byTier(rows.filter((g) => g.period === null)),
    },
  };
}
