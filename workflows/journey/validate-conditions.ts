import { type Condition, healthBands, type JourneyDefinition, stages, tiers } from "./schema";
import { reachable, type StepGraph } from "./validate-graph";
import { didYouMean, type Found, type Path } from "./validate-problems";

/**
 * Conditions: a fact that reads a touch or an escalation names a step that can supply it, and every
 * comparison can hold.
 */

// ── Conditions over touch outcomes ──────────────────────────────────────────────────────────────

const touchFact = /^touch\.([A-Za-z][\w-]*)\.(opened|clicked)$/;
const escalationFact = /^escalation\.([A-Za-z][\w-]*)\.resolution$/;

type Comparison = Extract<Condition, { fact: string }>;

/** Every comparison in a condition, with the path of the comparison itself. */
function comparisons(condition: Condition, path: Path): { comparison: Comparison; path: Path }[] {
  if ("fact" in condition) return [{ comparison: condition, path }];
  if ("all" in condition) return condition.all.flatMap((inner, k) => comparisons(inner, [...path, "all", k]));
  if ("any" in condition) return condition.any.flatMap((inner, k) => comparisons(inner, [...path, "any", k]));
  return comparisons(condition.not, [...path, "not"]);
}

/** Every condition of a journey: the audience filter, exit criteria and branches (with their index). */
function conditionSources(
  journey: JourneyDefinition,
): { condition: Condition; path: Path; branch?: number }[] {
  const sources: { condition: Condition; path: Path; branch?: number }[] = [];
  if (journey.audience.where)
    sources.push({ condition: journey.audience.where, path: ["audience", "where"] });
  journey.exitWhen.forEach((criterion, k) => {
    if ("if" in criterion) sources.push({ condition: criterion.if, path: ["exitWhen", k, "if"] });
  });
  journey.steps.forEach((step, index) => {
    if (step.type === "branch")
      sources.push({ condition: step.if, path: ["steps", index, "if"], branch: index });
  });
  return sources;
}

export function touchProblems(journey: JourneyDefinition, graph: StepGraph): Found[] {
  const { steps } = journey;
  const touchIds = steps
    .filter((step) => step.type === "email" || step.type === "in_app")
    .map((step) => step.id);

  const problems: Found[] = [];
  for (const source of conditionSources(journey)) {
    for (const { comparison, path: at } of comparisons(source.condition, source.path)) {
      const { fact } = comparison;
      const path = [...at, "fact"];
      const escalated = escalationFact.exec(fact)?.[1];
      if (escalated !== undefined) {
        const step = steps.find((st) => st.id === escalated);
        if (step?.type !== "escalate" || !step.waitForResolution)
          problems.push({
            path,
            message: `"${fact}" reads step "${escalated}", which is not an escalate step with waitForResolution`,
            rule: "unknown_escalation_step",
          });
        continue;
      }
      const id = touchFact.exec(fact)?.[1];
      if (id === undefined) continue;
      const index = graph.indexOf.get(id);
      const step = index === undefined ? undefined : steps[index];
      if (index === undefined || step === undefined) {
        problems.push({
          path,
          message: `"${fact}" reads step "${id}", which does not exist${didYouMean(id, touchIds)}`,
          rule: "unknown_touch_step",
        });
        continue;
      }
      if (step.type !== "email" && step.type !== "in_app") {
        problems.push({
          path,
          message: `"${fact}" reads step "${id}", a ${step.type} step; only email and in_app steps are opened or clicked`,
          rule: "unknown_touch_step",
        });
        continue;
      }
      // A branch can only see the outcome of a touch that can run before it; otherwise it always
      // takes the same way. Unreachable branches are reported as such already.
      const branch = source.branch;
      if (branch === undefined || !graph.fromStart.has(branch)) continue;
      if (reachable(graph.successors[index] ?? [], graph.successors).has(branch)) continue;
      problems.push({
        path,
        message: `"${fact}" reads step "${id}", which cannot have run before this branch`,
        rule: "touch_before_send",
      });
    }
  }
  return problems;
}

// ── Condition values ────────────────────────────────────────────────────────────────────────────

/** What values a fact takes, so a comparison that can never hold is caught before publish. */
type FactKind =
  | { kind: "number" }
  | { kind: "boolean" }
  | { kind: "enum"; values: readonly string[] }
  | { kind: "string" }
  | { kind: "any" };

function kindOf(fact: string): FactKind {
  if (fact === "tier") return { kind: "enum", values: tiers };
  if (fact === "stage") return { kind: "enum", values: stages };
  if (fact === "health.band") return { kind: "enum", values: healthBands };
  if (touchFact.test(fact)) return { kind: "boolean" };
  if (escalationFact.test(fact)) return { kind: "string" };
  if (fact.startsWith("attributes.")) return { kind: "any" };
  return { kind: "number" };
}

const ordering = new Set(["lt", "lte", "gt", "gte"]);

/**
 * A comparison whose value is missing or of the wrong kind is silently always false at run time
 * (`tier eq "platinum"`, `deployment.ratio lt "0.8"`, `stage in "onboarding"`): report it instead.
 */
export function conditionValueProblems(journey: JourneyDefinition): Found[] {
  const problems: Found[] = [];
  for (const source of conditionSources(journey)) {
    for (const { comparison, path } of comparisons(source.condition, source.path)) {
      const { fact, op, value } = comparison;
      const at = [...path, "value"];
      const problem = (where: Path, message: string) =>
        problems.push({ path: where, message, rule: "condition_value" });
      if (op === "exists" || op === "not_exists") {
        if (value !== undefined) problem(at, `${op} takes no value; remove it`);
        continue;
      }
      if (value === undefined) {
        problem(at, `is required: "${fact}" ${op} compares with a value`);
        continue;
      }
      const kind = kindOf(fact);
      if (ordering.has(op) && ["boolean", "enum", "string"].includes(kind.kind)) {
        problem(
          [...path, "op"],
          `${op} orders numbers; "${fact}" is not a number (use eq, ne, in or not_in)`,
        );
        continue;
      }
      if (op === "in" || op === "not_in") {
        if (!Array.isArray(value)) {
          problem(at, `${op} needs an array of values, e.g. [${JSON.stringify(value)}]`);
          continue;
        }
        if (value.length === 0) {
          problem(at, `${op} needs at least one value`);
          continue;
        }
        if (kind.kind === "boolean") {
          problem([...path, "op"], `"${fact}" is true or false; use eq`);
          continue;
        }
        value.forEach((item, k) => {
          const message = valueProblem(fact, kind, item);
          if (message) problem([...at, k], message);
        });
        continue;
      }
      if (Array.isArray(value)) {
        problem(at, `${op} compares with one value, not an array (use in or not_in for a list)`);
        continue;
      }
      const message = valueProblem(fact, kind, value);
      if (message) problem(at, message);
    }
  }
  return problems;
}

function valueProblem(fact: string, kind: FactKind, value: unknown): string | undefined {
  switch (kind.kind) {
    case "number":
      return typeof value === "number" ? undefined : `"${fact}" is a number; ${JSON.stringify(value)} is not`;
    case "boolean":
      return typeof value === "boolean"
        ? undefined
        : `"${fact}" is true or false; ${JSON.stringify(value)} is not`;
    case "string":
      return typeof value === "string" ? undefined : `"${fact}" is text; ${JSON.stringify(value)} is not`;
    case "enum":
      return typeof value === "string" && kind.values.includes(value)
        ? undefined
        : `${JSON.stringify(value)} is not a ${fact.replace(".", " ")}: one of ${kind.values.join(", ")}${
            typeof value === "string" ? didYouMean(value, kind.values) : ""
          }`;
    case "any":
      return undefined;
  }
}
