import type { z } from "zod";
import { didYouMean, type Found, type Path } from "./validate-problems";

/** Schema issues from zod, reworded and located where the editor can point at them. */
export function schemaProblems(input: unknown, issue: z.core.$ZodIssue, prefix: Path): Found[] {
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
