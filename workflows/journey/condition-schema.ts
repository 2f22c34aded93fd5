import { z } from "zod";
import { didYouMean } from "./validate-problems";

// The facts a journey condition may read and how conditions combine: part of the journey language
// (schema.ts re-exports it); evaluation is in conditions.ts.

/**
 * Facts a condition can read. Numbers: `health.score` (0–100), `deployment.ratio` (active users in 28
 * days / licenses), `adoption.active_users_28d`, `days_since_last_login`, `arr`, `licenses`,
 * `days_to_renewal`, `days_in_journey`, `event.<name>.count` (events of that name since entering);
 * strings: `health.band`, `tier`, `stage`; anything: `attributes.<key>`; booleans:
 * `touch.<stepId>.opened` / `.clicked` (outcomes of an earlier email or in-app step of this journey);
 * string: `escalation.<stepId>.resolution` (the label the CSM resolved that escalate step with).
 */
/** Facts with a fixed name. */
export const namedFacts = [
  "health.score",
  "health.band",
  "deployment.ratio",
  "adoption.active_users_28d",
  "days_since_last_login",
  "tier",
  "stage",
  "arr",
  "licenses",
  "days_to_renewal",
  "days_in_journey",
] as const;

/** Families of facts, as a reader writes them; each `<…>` is the part the journey names. */
const factFamilies = [
  {
    shape: "attributes.<key>",
    pattern: String.raw`attributes\.[\w.-]+`,
    of: (rest: string) => `attributes.${rest}`,
  },
  {
    shape: "event.<name>.count",
    pattern: String.raw`event\.[\w.:-]+\.count`,
    of: (name: string) => `event.${name}.count`,
  },
  {
    shape: "touch.<stepId>.opened",
    pattern: String.raw`touch\.[A-Za-z][\w-]*\.opened`,
    of: (id: string) => `touch.${id}.opened`,
  },
  {
    shape: "touch.<stepId>.clicked",
    pattern: String.raw`touch\.[A-Za-z][\w-]*\.clicked`,
    of: (id: string) => `touch.${id}.clicked`,
  },
  {
    shape: "escalation.<stepId>.resolution",
    pattern: String.raw`escalation\.[A-Za-z][\w-]*\.resolution`,
    of: (id: string) => `escalation.${id}.resolution`,
  },
] as const;

export const factPattern = new RegExp(
  `^(${[...namedFacts.map((name) => name.replaceAll(".", "\\.")), ...factFamilies.map((f) => f.pattern)].join("|")})$`,
);

/**
 * `"helth.score" is not a known fact (did you mean "health.score"?); known facts: …`: the nearest
 * fact, trying each family with the part the writer gave (`touch.welcome.open` → `touch.welcome.opened`).
 */
export function unknownFactMessage(value: unknown): string {
  const known = `known facts: ${[...namedFacts, ...factFamilies.map((f) => f.shape)].join(", ")}`;
  if (typeof value !== "string") return `is not a known fact; ${known}`;
  const parts = value.split(".");
  const middle = parts.length > 2 ? parts.slice(1, -1).join(".") : (parts[1] ?? "");
  const rest = parts.slice(1).join(".");
  const candidates = [
    ...namedFacts,
    ...factFamilies.flatMap((f) =>
      rest ? [f.of(f.shape.startsWith("attributes") ? rest : middle || rest)] : [],
    ),
  ];
  return `${JSON.stringify(value)} is not a known fact${didYouMean(value, candidates)}; ${known}`;
}

const factList =
  "Numbers: `health.score` (0–100), `deployment.ratio` (active users in 28 days / licenses), `adoption.active_users_28d`, `days_since_last_login`, `arr`, `licenses`, `days_to_renewal`, `days_in_journey`, `event.<name>.count` (events of that name since entering). Strings: `health.band`, `tier`, `stage`. Any JSON value: `attributes.<key>`. Booleans: `touch.<stepId>.opened`, `touch.<stepId>.clicked` (outcomes of an earlier email or in-app step of this journey). String: `escalation.<stepId>.resolution` (the label the CSM resolved that escalate step with).";
export const Fact = z
  .string()
  .regex(factPattern, { error: (issue) => unknownFactMessage(issue.input) })
  .meta({ description: factList });

export const ComparisonOp = z.enum([
  "eq",
  "ne",
  "lt",
  "lte",
  "gt",
  "gte",
  "in",
  "not_in",
  "exists",
  "not_exists",
]);

export type Condition =
  | { fact: string; op: z.infer<typeof ComparisonOp>; value?: unknown }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export const Comparison = z
  .strictObject({
    fact: Fact.meta({
      description: `The fact to read. ${factList} A comparison on a fact the account does not have is false; only \`not_exists\` holds.`,
    }),
    op: ComparisonOp.meta({
      description:
        "`eq`/`ne` compare exactly; `lt`/`lte`/`gt`/`gte` compare two numbers or two strings (anything else is false); `in`/`not_in` look the fact up in the array `value`; `exists`/`not_exists` need no `value`.",
    }),
    value: z
      .union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))])
      .optional()
      .meta({ description: "What the fact is compared with; an array for `in` and `not_in`." }),
  })
  .meta({ id: "Comparison", description: "Compares one fact of the account with a value." });

export const Condition: z.ZodType<Condition> = z
  .lazy(() =>
    z.union([
      Comparison,
      z
        .strictObject({ all: z.array(Condition).min(1) })
        .meta({ description: "True when every condition in the list holds." }),
      z
        .strictObject({ any: z.array(Condition).min(1) })
        .meta({ description: "True when at least one condition in the list holds." }),
      z.strictObject({ not: Condition }).meta({ description: "True when the condition does not hold." }),
    ]),
  )
  .meta({
    id: "Condition",
    description: "A comparison over a fact, or `all`, `any` and `not` over other conditions (nested freely).",
  });
