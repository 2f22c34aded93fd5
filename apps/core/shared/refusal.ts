/**
 * Why a use case refused a request, as a value (STYLE.md: expected failures are values). Core says
 * what went wrong; the API alone decides the HTTP status (`statusOfRefusal` in apps/api/problem.ts).
 */
export type Refusal =
  /** The thing named does not exist in this workspace. */
  | "not_found"
  /** It exists, but its state forbids this (an archived journey, a resolved escalation). */
  | "conflict"
  /** The input is well-formed but not acceptable; `problems` or `pointer` say where. */
  | "invalid";
