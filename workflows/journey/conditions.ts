import type { Condition } from "./schema";

/** Fact values by name (see `factPattern` in schema.ts); a missing fact is `undefined`. */
export type FactLookup = (fact: string) => unknown;

export type Evaluation = {
  value: boolean;
  /** Every fact read and the value it had, for the decision trace. */
  used: Record<string, unknown>;
};

/** Evaluates a condition. A comparison on a missing fact is false (only `not_exists` holds). */
export function evaluate(condition: Condition, lookup: FactLookup): Evaluation {
  const used: Record<string, unknown> = {};
  const read = (fact: string) => {
    const value = lookup(fact);
    used[fact] = value ?? null;
    return value;
  };
  const value = evaluateWith(condition, read);
  return { value, used };
}

function evaluateWith(condition: Condition, read: FactLookup): boolean {
  if ("all" in condition) return condition.all.every((c) => evaluateWith(c, read));
  if ("any" in condition) return condition.any.some((c) => evaluateWith(c, read));
  if ("not" in condition) return !evaluateWith(condition.not, read);
  const actual = read(condition.fact);
  const expected = condition.value;
  switch (condition.op) {
    case "exists":
      return actual !== undefined && actual !== null;
    case "not_exists":
      return actual === undefined || actual === null;
    case "eq":
      return actual !== undefined && actual === expected;
    case "ne":
      return actual !== undefined && actual !== expected;
    case "in":
      return Array.isArray(expected) && (expected as unknown[]).includes(actual);
    case "not_in":
      return actual !== undefined && Array.isArray(expected) && !(expected as unknown[]).includes(actual);
    case "lt":
    case "lte":
    case "gt":
    case "gte":
      return compare(actual, expected, condition.op);
  }
}

function compare(actual: unknown, expected: unknown, op: "lt" | "lte" | "gt" | "gte"): boolean {
  const bothNumbers = typeof actual === "number" && typeof expected === "number";
  const bothStrings = typeof actual === "string" && typeof expected === "string";
  if (!bothNumbers && !bothStrings) return false;
  const a = actual as number | string;
  const b = expected as number | string;
  if (op === "lt") return a < b;
  if (op === "lte") return a <= b;
  if (op === "gt") return a > b;
  return a >= b;
}

/** The facts a condition reads, to know whether it needs a fresh load. */
export function factsOf(condition: Condition): string[] {
  if ("all" in condition) return condition.all.flatMap(factsOf);
  if ("any" in condition) return condition.any.flatMap(factsOf);
  if ("not" in condition) return factsOf(condition.not);
  return [condition.fact];
}

/** Facts the run knows itself, without loading anything. */
export function isDerivedFact(fact: string): boolean {
  return (
    fact.startsWith("touch.") ||
    fact.startsWith("escalation.") ||
    (fact.startsWith("event.") && fact.endsWith(".count")) ||
    fact === "days_in_journey"
  );
}

/**
 * Deterministic bucket 0–99 for A/B splits: FNV-1a over the text, so an account always lands in the
 * same branch of the same split, across replays, simulations and versions.
 */
export function bucketOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 100;
}
