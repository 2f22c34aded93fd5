import { JourneyDefinition, type Step } from "./schema";
import { conditionValueProblems, touchProblems } from "./validate-conditions";
import { durationProblems } from "./validate-durations";
import { buildGraph, loopProblems, reachabilityProblems } from "./validate-graph";
import { type Found, inDocumentOrder, type ValidationProblem } from "./validate-problems";
import { schemaProblems } from "./validate-schema";
import { type TemplateLookup, templateProblems } from "./validate-templates";

export type { ValidationProblem, ValidationRule } from "./validate-problems";
export type { TemplateLookup } from "./validate-templates";

/**
 * Publish-time validation of a journey definition. Pure: the template catalogue is passed in as a
 * lookup, so the API, the CLI and tests share it without I/O.
 */

export type ValidationResult =
  | { ok: true; journey: JourneyDefinition; problems: [] }
  /** `journey` is present when the shape parsed and only the semantic rules failed. */
  | { ok: false; journey?: JourneyDefinition; problems: ValidationProblem[] };

/**
 * Validates a journey definition and reports every problem at once, in document order. When the
 * shape is invalid only the schema problems are reported: the semantic rules need a parsed journey.
 */
export function validateJourney(input: unknown, templates: TemplateLookup): ValidationResult {
  const parsed = JourneyDefinition.safeParse(input);
  if (!parsed.success) {
    const found = parsed.error.issues.flatMap((issue) => schemaProblems(input, issue, []));
    return { ok: false, problems: inDocumentOrder(input, found) };
  }
  const journey = parsed.data;
  const graph = buildGraph(journey.steps);
  const found = [
    ...graph.problems,
    ...reachabilityProblems(journey.steps, graph),
    ...loopProblems(journey.steps, graph),
    ...templateProblems(journey.steps, templates),
    ...durationProblems(journey),
    ...splitProblems(journey.steps),
    ...touchProblems(journey, graph),
    ...conditionValueProblems(journey),
    ...goalProblems(journey),
  ];
  if (found.length === 0) return { ok: true, journey, problems: [] };
  return { ok: false, journey, problems: inDocumentOrder(input, found) };
}

/** One line per problem: `  /steps/3/then: unknown step "invte" (did you mean "invite"?)`. */
export function formatProblems(problems: readonly ValidationProblem[]): string {
  return problems.map((problem) => `  ${problem.pointer || "(document)"}: ${problem.message}`).join("\n");
}

// ── Splits ──────────────────────────────────────────────────────────────────────────────────────

function splitProblems(steps: readonly Step[]): Found[] {
  return steps.flatMap((step, index): Found[] => {
    if (step.type !== "split") return [];
    const total = step.branches.reduce((sum, branch) => sum + branch.percent, 0);
    if (total === 100) return [];
    return [
      {
        path: ["steps", index, "branches"],
        message: `split percentages add up to ${total}, not 100`,
        rule: "split_total",
      },
    ];
  });
}

// ── Goal ────────────────────────────────────────────────────────────────────────────────────────

function goalProblems(journey: JourneyDefinition): Found[] {
  const goal = journey.goal;
  if (goal === undefined) return [];
  return journey.exitWhen.flatMap((criterion, k): Found[] =>
    "event" in criterion && criterion.event === goal.event
      ? [
          {
            path: ["exitWhen", k, "event"],
            message: `"${goal.event}" is also the goal event, so reaching it counts as both a conversion and an exit; goal.exit already ends the enrollment`,
            rule: "goal_is_exit",
          },
        ]
      : [],
  );
}
