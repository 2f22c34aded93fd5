import { parse as parseDuration } from "tinyduration";
import { z } from "zod";

/**
 * The health scorecard: measures over metrics computed per account, each with a weight and a linear
 * curve from `zero` (scores 0) to `full` (scores 100), grouped DEAR-style; bands; per-tier weights.
 */

export const metrics = [
  /** Distinct users ever seen / licenses. */
  "deployment.licenses_activated",
  /** Distinct users active in the last 28 days / licenses. */
  "deployment.active_ratio_28d",
  "adoption.active_days_28d",
  "adoption.feature_breadth_28d",
  /** Feature events per active user per feature used, in 28 days (how deeply features are used). */
  "adoption.feature_depth_28d",
  "engagement.touch_response_90d",
  /** Meetings held in 90 days (`meetingEvents`). */
  "engagement.meetings_90d",
  "roi.outcomes_90d",
  /** The account attribute `roiAttribute`: a number 0..1, or a boolean (1 or 0); unknown without it. */
  "roi.attribute",
] as const;
export type Metric = (typeof metrics)[number];

export const Measure = z.strictObject({
  key: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,49}$/)
    .meta({ description: "Unique in the scorecard; names the measure in scores and tier profiles" }),
  label: z.string().min(1).max(100).optional(),
  group: z.enum(["deployment", "adoption", "engagement", "roi"]).meta({ description: "The DEAR axis" }),
  metric: z.enum(metrics).meta({ description: "What is measured (docs/guide/health.md says how)" }),
  weight: z
    .number()
    .min(0)
    .max(100)
    .meta({ description: "Its share of the score, against the others' weights" }),
  curve: z
    .strictObject({ zero: z.number(), full: z.number() })
    .refine((c) => c.zero !== c.full, {
      message: "`zero` and `full` must differ",
    })
    .meta({
      description: "The metric's value scoring 0 (`zero`) and 100 (`full`); straight between, clamped",
    }),
});

const EVERY = /^PT(?=\d)(\d+H)?(\d+M)?$|^P\d+D$/;
const MAX_EVERY_DAYS = 366;

export const Scorecard = z
  .strictObject({
    measures: z.array(Measure).min(1).max(30),
    bands: z
      .strictObject({ red: z.number().min(0).max(100), yellow: z.number().min(0).max(100) })
      .refine((b) => b.red <= b.yellow, { message: "`red` must not be above `yellow`", path: ["red"] })
      .meta({ description: "A score below `red` is red, below `yellow` yellow, otherwise green" }),
    roiEvents: z
      .array(z.string().min(1).max(200))
      .max(100)
      .default(["outcome_achieved"])
      .meta({ description: "Event names that count as outcomes achieved (`roi.outcomes_90d`)" }),
    roiAttribute: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/, "must be an attribute name such as roi_achieved")
      .default("roi_achieved")
      .meta({
        description:
          "The account attribute holding the ROI achieved (`roi.attribute`), e.g. set by the CSM after a QBR",
      }),
    meetingEvents: z.array(z.string().min(1).max(200)).max(100).default(["meeting_held"]).meta({
      description: "Event names that count as meetings held (engagement); they are not product usage",
    }),
    profiles: z
      .partialRecord(
        z.enum(["high_touch", "low_touch", "tech_touch"]),
        z.strictObject({ weights: z.record(z.string(), z.number().min(0).max(100)) }),
      )
      .default({})
      .meta({ description: "Per tier: weights by measure key that replace the measures' own weights" }),
    every: z
      .string()
      .regex(EVERY, "must be an ISO-8601 duration such as PT1H or P1D")
      .default("PT1H")
      .meta({ description: "How often the workspace's Schedule recomputes health (PT5M to P366D)" }),
  })
  .superRefine((card, ctx) => {
    // Zod runs this refinement even when `every` failed its pattern, which `parseDuration` would throw on.
    const every = EVERY.test(card.every) ? parseDuration(card.every) : undefined;
    const minutes = every && ((every.days ?? 0) * 24 + (every.hours ?? 0)) * 60 + (every.minutes ?? 0);
    if (minutes !== undefined && minutes < 5) {
      ctx.addIssue({ code: "custom", path: ["every"], message: "must be at least PT5M" });
    }
    // A longer interval is a typo, and one past Temporal's largest duration would fail the Schedule.
    if (minutes !== undefined && minutes > MAX_EVERY_DAYS * 24 * 60) {
      ctx.addIssue({ code: "custom", path: ["every"], message: `must be at most P${MAX_EVERY_DAYS}D` });
    }
    const keys = new Set<string>();
    card.measures.forEach((m, i) => {
      if (keys.has(m.key))
        ctx.addIssue({
          code: "custom",
          path: ["measures", i, "key"],
          message: `duplicate measure "${m.key}"`,
        });
      keys.add(m.key);
    });
    for (const [tier, profile] of Object.entries(card.profiles)) {
      for (const key of Object.keys(profile?.weights ?? {})) {
        if (!keys.has(key)) {
          ctx.addIssue({
            code: "custom",
            path: ["profiles", tier, "weights", key],
            message: `no measure "${key}"`,
          });
        }
      }
    }
  })
  .meta({ id: "Scorecard" });
export type Scorecard = z.infer<typeof Scorecard>;

/**
 * The default encodes the field's rule of thumb: 80% of licenses deployed (activated), 50% of them
 * active in 28 days; then DEAR's other axes.
 */
export const defaultScorecard: Scorecard = Scorecard.parse({
  measures: [
    {
      key: "deployed",
      label: "Licenses activated (goal 80%)",
      group: "deployment",
      metric: "deployment.licenses_activated",
      weight: 25,
      curve: { zero: 0, full: 0.8 },
    },
    {
      key: "active",
      label: "Active in 28 days (goal 50%)",
      group: "adoption",
      metric: "deployment.active_ratio_28d",
      weight: 20,
      curve: { zero: 0, full: 0.5 },
    },
    {
      key: "active_days",
      label: "Active days in 28",
      group: "adoption",
      metric: "adoption.active_days_28d",
      weight: 10,
      curve: { zero: 0, full: 20 },
    },
    {
      key: "breadth",
      label: "Features used in 28 days",
      group: "adoption",
      metric: "adoption.feature_breadth_28d",
      weight: 10,
      curve: { zero: 0, full: 4 },
    },
    {
      key: "depth",
      label: "Uses per active user and feature (28 days)",
      group: "adoption",
      metric: "adoption.feature_depth_28d",
      weight: 5,
      curve: { zero: 0, full: 2 },
    },
    {
      key: "touch_score",
      label: "Responses to touches (90 days)",
      group: "engagement",
      metric: "engagement.touch_response_90d",
      weight: 10,
      curve: { zero: 0, full: 0.5 },
    },
    {
      key: "meetings",
      label: "Meetings held (90 days)",
      group: "engagement",
      metric: "engagement.meetings_90d",
      weight: 5,
      curve: { zero: 0, full: 2 },
    },
    {
      key: "outcomes",
      label: "Outcomes achieved (90 days)",
      group: "roi",
      metric: "roi.outcomes_90d",
      weight: 10,
      curve: { zero: 0, full: 1 },
    },
    {
      key: "roi",
      label: "ROI achieved (account attribute)",
      group: "roi",
      metric: "roi.attribute",
      weight: 5,
      curve: { zero: 0, full: 1 },
    },
  ],
  bands: { red: 40, yellow: 70 },
});

export type MetricValues = Partial<Record<Metric, number | null>>;
export type HealthResult = {
  score: number;
  band: "red" | "yellow" | "green";
  measures: Record<string, { value: number; score: number }>;
};

export function bandOf(score: number, bands: Scorecard["bands"]): HealthResult["band"] {
  return score < bands.red ? "red" : score < bands.yellow ? "yellow" : "green";
}

/** Scores one account. A measure whose metric is unknown (no licenses, say) is left out of the weighting. */
export function scoreAccount(card: Scorecard, tier: string, values: MetricValues): HealthResult {
  const weights = card.profiles[tier as keyof Scorecard["profiles"]]?.weights ?? {};
  let total = 0;
  let weighted = 0;
  const measures: HealthResult["measures"] = {};
  for (const m of card.measures) {
    const value = values[m.metric];
    if (value === null || value === undefined || Number.isNaN(value)) continue;
    const weight = weights[m.key] ?? m.weight;
    const ratio = (value - m.curve.zero) / (m.curve.full - m.curve.zero);
    const score = Math.round(Math.min(1, Math.max(0, ratio)) * 100);
    measures[m.key] = { value, score };
    total += weight;
    weighted += weight * score;
  }
  const score = total > 0 ? Math.round(weighted / total) : 0;
  return { score, band: bandOf(score, card.bands), measures };
}
