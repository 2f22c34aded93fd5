import type { Step } from "./schema";
import { didYouMean, type Found, type Path, toPointer } from "./validate-problems";

/** The step graph: ids, targets, reachability, and loops without a wait. */

/** A way out of a step: the field that names it, the target id, and which way it is (for drawings). */
export type Link = { path: Path; id: string; way: "next" | "then" | "else" | "timeout" | "branch" };

/** Where a step can go next: named targets, and whether it falls through to the following step. */
export function linksOf(step: Step, index: number): { named: Link[]; fallsThrough: boolean } {
  const at = (...rest: Path): Path => ["steps", index, ...rest];
  switch (step.type) {
    case "branch":
      return {
        named: [
          { path: at("then"), id: step.then, way: "then" },
          { path: at("else"), id: step.else, way: "else" },
        ],
        fallsThrough: false,
      };
    case "split":
      return {
        named: step.branches.map((branch, k) => ({
          path: at("branches", k, "next"),
          id: branch.next,
          way: "branch" as const,
        })),
        fallsThrough: false,
      };
    case "exit":
      return { named: [], fallsThrough: false };
    default: {
      const named: Link[] =
        typeof step.next === "string" ? [{ path: at("next"), id: step.next, way: "next" }] : [];
      if (step.type === "wait_for_event")
        named.push({ path: at("onTimeout"), id: step.onTimeout, way: "timeout" });
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

export type StepGraph = {
  indexOf: Map<string, number>;
  /** Successor step indices, by step index; targets resolve to a duplicated id's first step. */
  successors: number[][];
  duplicates: Set<number>;
  /** Steps reachable from the first one. */
  fromStart: Set<number>;
  /** Duplicate ids and unknown targets, found while building the graph. */
  problems: Found[];
};

export function buildGraph(steps: readonly Step[]): StepGraph {
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
export function reachable(
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

export function reachabilityProblems(steps: readonly Step[], graph: StepGraph): Found[] {
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
export function loopProblems(steps: readonly Step[], graph: StepGraph): Found[] {
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
