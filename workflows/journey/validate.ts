import { parse as parseDuration } from "tinyduration";
import type { z } from "zod";
import {
  type Condition,
  healthBands,
  isIsoDuration,
  JourneyDefinition,
  type Step,
  stages,
  tiers,
} from "./schema";
import { addDuration } from "./time";
import { isSuppliedVariable, type TemplateInfo, templateVariables } from "./variables";

/**
 * Publish-time validation of a journey definition. Pure: the template catalogue is passed in as a
 * lookup, so the API, the CLI and tests share it without I/O.
 */

export type ValidationRule =
  | "schema"
  | "duplicate_step_id"
  | "unknown_target"
  | "unreachable_step"
  | "loop_without_wait"
  | "unknown_template"
  | "template_channel"
  | "unknown_variable"
  | "bad_duration"
  | "split_total"
  | "unknown_touch_step"
  | "unknown_escalation_step"
  | "touch_before_send"
  | "condition_value"
  | "goal_is_exit";

/** One problem, located by an RFC 6901 JSON pointer into the submitted definition. */
export type ValidationProblem = { pointer: string; message: string; rule: ValidationRule };

export type ValidationResult =
  | { ok: true; journey: JourneyDefinition; problems: [] }
  /** `journey` is present when the shape parsed and only the semantic rules failed. */
  | { ok: false; journey?: JourneyDefinition; problems: ValidationProblem[] };

export type TemplateLookup = (key: string) => TemplateInfo | undefined;

type Path = (string | number)[];
type Found = { path: Path; message: string; rule: ValidationRule };

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

/** RFC 6901: `~` becomes `~0` and `/` becomes `~1`, in that order. */
function toPointer(path: readonly (string | number)[]): string {
  return path.map((segment) => `/${String(segment).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

// ── Schema ──────────────────────────────────────────────────────────────────────────────────────

function schemaProblems(input: unknown, issue: z.core.$ZodIssue, prefix: Path): Found[] {
  const path = [
    ...prefix,
    ...issue.path.map((segment) => (typeof segment === "number" ? segment : String(segment))),
  ];
  const value = valueAt(input, path);
  const problem = (at: Path, message: string): Found => ({ path: at, message, rule: "schema" });
  switch (issue.code) {
    case "unrecognized_keys":
      // Point at the stray property itself, so an editor can highlight it.
      return issue.keys.map((key) => problem([...path, key], `unknown property "${key}"`));
    case "invalid_type":
      return [problem(path, value === undefined ? "is required" : issue.message)];
    case "invalid_union": {
      if (issue.discriminator !== undefined && "options" in issue && issue.options) {
        const options = issue.options.map(String);
        const expected = `one of ${options.join(", ")}`;
        if (value === undefined) return [problem(path, `is required (${expected})`)];
        const hint = typeof value === "string" ? didYouMean(value, options) : "";
        return [problem(path, `${JSON.stringify(value)} is not ${expected}${hint}`)];
      }
      // A union reports every option's issues. Keep those of the one option the value was evidently
      // written for (no stray keys or wrong type at its root), so a typo deep in a condition is
      // reported where it is rather than as "Invalid input" on the whole condition.
      const fitting = issue.errors.filter(
        (issues) =>
          !issues.some(
            (inner) => inner.path.length === 0 && ["unrecognized_keys", "invalid_type"].includes(inner.code),
          ),
      );
      const [only] = fitting;
      if (fitting.length === 1 && only) return only.flatMap((inner) => schemaProblems(input, inner, path));
      return [problem(path, "does not match any allowed shape")];
    }
    default:
      return [problem(path, issue.message)];
  }
}

function valueAt(input: unknown, path: Path): unknown {
  let node = input;
  for (const segment of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[String(segment)];
  }
  return node;
}

// ── Step graph: ids, targets, reachability, loops ───────────────────────────────────────────────

type Link = { path: Path; id: string };

/** Where a step can go next: named targets, and whether it falls through to the following step. */
function linksOf(step: Step, index: number): { named: Link[]; fallsThrough: boolean } {
  const at = (...rest: Path): Path => ["steps", index, ...rest];
  switch (step.type) {
    case "branch":
      return {
        named: [
          { path: at("then"), id: step.then },
          { path: at("else"), id: step.else },
        ],
        fallsThrough: false,
      };
    case "split":
      return {
        named: step.branches.map((branch, k) => ({ path: at("branches", k, "next"), id: branch.next })),
        fallsThrough: false,
      };
    case "exit":
      return { named: [], fallsThrough: false };
    default: {
      const named: Link[] = typeof step.next === "string" ? [{ path: at("next"), id: step.next }] : [];
      if (step.type === "wait_for_event") named.push({ path: at("onTimeout"), id: step.onTimeout });
      return { named, fallsThrough: step.next === undefined };
    }
  }
}

/**
 * Steps that hold time; a loop through one of them is a schedule, not a runaway. A `wait` until a
 * date fact does not: the date is the same on every lap, so once it has passed the wait is skipped
 * and the loop spins. A wait_for_event only moves on at a new event or its (positive) timeout.
 */
function holdsTime(step: Step): boolean {
  return (
    (step.type === "wait" && step.duration !== undefined) ||
    step.type === "wait_for_event" ||
    (step.type === "escalate" && step.waitForResolution)
  );
}

type StepGraph = {
  indexOf: Map<string, number>;
  /** Successor step indices, by step index; targets resolve to a duplicated id's first step. */
  successors: number[][];
  duplicates: Set<number>;
  /** Steps reachable from the first one. */
  fromStart: Set<number>;
  /** Duplicate ids and unknown targets, found while building the graph. */
  problems: Found[];
};

function buildGraph(steps: readonly Step[]): StepGraph {
  const problems: Found[] = [];
  const indexOf = new Map<string, number>();
  const duplicates = new Set<number>();
  steps.forEach((step, index) => {
    const first = indexOf.get(step.id);
    if (first === undefined) {
      indexOf.set(step.id, index);
      return;
    }
    duplicates.add(index);
    problems.push({
      path: ["steps", index, "id"],
      message: `duplicate step id "${step.id}" (first used by ${toPointer(["steps", first])})`,
      rule: "duplicate_step_id",
    });
  });
  const ids = [...indexOf.keys()];
  const successors = steps.map((step, index) => {
    const { named, fallsThrough } = linksOf(step, index);
    const next = new Set<number>();
    for (const link of named) {
      const target = indexOf.get(link.id);
      if (target === undefined) {
        problems.push({
          path: link.path,
          message: `unknown step "${link.id}"${didYouMean(link.id, ids)}`,
          rule: "unknown_target",
        });
      } else {
        next.add(target);
      }
    }
    if (fallsThrough && index + 1 < steps.length) next.add(index + 1);
    return [...next];
  });
  return { indexOf, successors, duplicates, fromStart: reachable([0], successors), problems };
}

/** Steps reachable from `starts` following `successors`, limited to `allowed` when given. */
function reachable(
  starts: readonly number[],
  successors: readonly number[][],
  allowed?: (index: number) => boolean,
): Set<number> {
  const seen = new Set<number>();
  const queue = starts.filter((index) => allowed?.(index) ?? true);
  for (const index of queue) seen.add(index);
  for (let head = 0; head < queue.length; head++) {
    for (const next of successors[queue[head] ?? -1] ?? []) {
      if (seen.has(next) || !(allowed?.(next) ?? true)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return seen;
}

function reachabilityProblems(steps: readonly Step[], graph: StepGraph): Found[] {
  const first = steps[0]?.id ?? "";
  return steps.flatMap((step, index): Found[] =>
    // A duplicate is ambiguous as a target; its id problem already says what to fix.
    graph.fromStart.has(index) || graph.duplicates.has(index)
      ? []
      : [
          {
            path: ["steps", index],
            message: `step "${step.id}" is unreachable from the first step "${first}"`,
            rule: "unreachable_step",
          },
        ],
  );
}

/**
 * A cycle among steps that hold no time would run (and send) without end: each strongly connected
 * component of the graph without its waiting steps is one such loop.
 */
function loopProblems(steps: readonly Step[], graph: StepGraph): Found[] {
  const problems: Found[] = [];
  const instant = (index: number) => {
    const step = steps[index];
    return step !== undefined && !holdsTime(step);
  };
  const predecessors: number[][] = steps.map(() => []);
  graph.successors.forEach((next, from) => {
    for (const to of next) predecessors[to]?.push(from);
  });
  const placed = new Set<number>();
  for (let start = 0; start < steps.length; start++) {
    if (placed.has(start) || !instant(start)) continue;
    const forward = reachable([start], graph.successors, instant);
    const component = [...reachable([start], predecessors, instant)].filter((index) => forward.has(index));
    for (const index of component) placed.add(index);
    const cycle = cycleThrough(start, new Set(component), graph.successors);
    if (cycle === undefined) continue;
    const names = cycle.map((index) => steps[index]?.id ?? "?").join(" → ");
    problems.push({
      path: ["steps", start],
      message: `loop without a wait: ${names}; add a wait with a duration (a wait until a date is skipped once the date has passed), a wait_for_event or an escalate with waitForResolution`,
      rule: "loop_without_wait",
    });
  }
  return problems;
}

/** The shortest cycle from `start` back to itself inside `within`, as step indices (start repeated at the end). */
function cycleThrough(
  start: number,
  within: Set<number>,
  successors: readonly number[][],
): number[] | undefined {
  const parent = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const from = queue[head] ?? start;
    for (const to of successors[from] ?? []) {
      if (!within.has(to)) continue;
      if (to === start) {
        const path = [start];
        for (let at: number | undefined = from; at !== undefined && at !== start; at = parent.get(at)) {
          path.splice(1, 0, at);
        }
        path.push(start);
        return path;
      }
      if (parent.has(to)) continue;
      parent.set(to, from);
      queue.push(to);
    }
  }
  return undefined;
}

// ── Templates ───────────────────────────────────────────────────────────────────────────────────

function templateProblems(steps: readonly Step[], templates: TemplateLookup): Found[] {
  const problems: Found[] = [];
  steps.forEach((step, index) => {
    if (step.type !== "email" && step.type !== "in_app") return;
    const path = ["steps", index, "template"];
    const template = templates(step.template);
    if (template === undefined) {
      problems.push({ path, message: `unknown template "${step.template}"`, rule: "unknown_template" });
      return;
    }
    if (template.channel !== step.type) {
      problems.push({
        path,
        message: `template "${step.template}" is an ${template.channel} template; an ${step.type} step needs an ${step.type} template`,
        rule: "template_channel",
      });
    }
    for (const variable of new Set(template.variables)) {
      if (isSuppliedVariable(variable)) continue;
      problems.push({
        path,
        message: `template "${step.template}" uses "${variable}", which a journey does not supply${didYouMean(variable, templateVariables)}`,
        rule: "unknown_variable",
      });
    }
  });
  return problems;
}

// ── Durations ───────────────────────────────────────────────────────────────────────────────────

function durationProblems(journey: JourneyDefinition): Found[] {
  const problems: Found[] = [];
  const check = (value: string | undefined, path: Path, signed = false) => {
    const message = value === undefined ? undefined : durationProblem(value, signed);
    if (message !== undefined) problems.push({ path, message, rule: "bad_duration" });
  };
  if (journey.reentry.policy === "cooldown") check(journey.reentry.cooldown, ["reentry", "cooldown"]);
  journey.steps.forEach((step, index) => {
    const at = (...rest: Path): Path => ["steps", index, ...rest];
    if (step.type === "wait") {
      check(step.duration, at("duration"));
      check(step.until?.offset, at("until", "offset"), true);
    }
    if (step.type === "wait_for_event") check(step.timeout, at("timeout"));
    if (step.type === "escalate") check(step.sla, at("sla"));
  });
  return problems;
}

/** Past that, dates leave what the runtime and the database can hold (P999999999D is a RangeError). */
function withinACentury(duration: string): boolean {
  try {
    return addDuration("2000-01-01T00:00:00Z", duration) <= "2100-01-01T00:00:00.000Z";
  } catch {
    return false;
  }
}

function durationProblem(value: string, signed: boolean): string | undefined {
  // tinyduration accepts a dangling time designator ("P1DT"); ISO-8601 does not.
  if (!isIsoDuration(value, { signed: true }) || value.endsWith("T")) {
    return `"${value}" is not an ISO-8601 duration (e.g. P3D, PT12H, P1M${signed ? ", -P120D" : ""})`;
  }
  if (!withinACentury(value.replace(/^-/, ""))) return `"${value}" is longer than 100 years`;
  if (signed) return undefined;
  if (!isIsoDuration(value)) return `"${value}" must not be negative`;
  const { years, months, weeks, days, hours, minutes, seconds } = parseDuration(value);
  if ([years, months, weeks, days, hours, minutes, seconds].every((part) => !part)) {
    return `"${value}" must be longer than zero`;
  }
  return undefined;
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

function touchProblems(journey: JourneyDefinition, graph: StepGraph): Found[] {
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
function conditionValueProblems(journey: JourneyDefinition): Found[] {
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

// ── Ordering and suggestions ────────────────────────────────────────────────────────────────────

/** Sorts by position in the submitted document (array index, then property order), stably. */
function inDocumentOrder(input: unknown, found: readonly Found[]): ValidationProblem[] {
  const keyed = found.map((problem, order) => ({ problem, order, key: documentKey(input, problem.path) }));
  keyed.sort((a, b) => compareKeys(a.key, b.key) || a.order - b.order);
  return keyed.map(({ problem }) => ({
    pointer: toPointer(problem.path),
    message: problem.message,
    rule: problem.rule,
  }));
}

type KeyPart = { rank: number; name: string };

function documentKey(input: unknown, path: Path): KeyPart[] {
  const key: KeyPart[] = [];
  let node = input;
  for (const segment of path) {
    const name = String(segment);
    let rank = Number.MAX_SAFE_INTEGER;
    if (Array.isArray(node) && typeof segment === "number") rank = segment;
    else if (typeof node === "object" && node !== null) {
      const position = Object.keys(node).indexOf(name);
      if (position >= 0) rank = position;
    }
    key.push({ rank, name });
    node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[name] : undefined;
  }
  return key;
}

function compareKeys(a: readonly KeyPart[], b: readonly KeyPart[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const left = a[i];
    const right = b[i];
    if (left === undefined || right === undefined) break;
    if (left.rank !== right.rank) return left.rank - right.rank;
    if (left.name !== right.name) return left.name < right.name ? -1 : 1;
  }
  return a.length - b.length;
}

/** ` (did you mean "invite"?)` when one candidate is a small typo away from `word`, else "". */
function didYouMean(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Math.min(3, Math.max(1, Math.floor(word.length / 4))) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance > 0 && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best === undefined ? "" : ` (did you mean "${best}"?)`;
}

/** Edit distance counting a swap of adjacent letters as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(a.length, b.length);
}
