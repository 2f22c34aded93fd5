/** How a validation problem is named, located, ordered and worded. */

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
  /** A webhook target the outbound guard refuses (checked by the service at publish, not here). */
  | "outbound_target"
  /** A backfill asked of a journey whose trigger has no accounts to match (checked at publish). */
  | "backfill"
  | "goal_is_exit";

/** One problem, located by an RFC 6901 JSON pointer into the submitted definition. */
export type ValidationProblem = { pointer: string; message: string; rule: ValidationRule };

export type Path = (string | number)[];
/** A problem before it is reported: located by a path, not yet a pointer. */
export type Found = { path: Path; message: string; rule: ValidationRule };

/** RFC 6901: `~` becomes `~0` and `/` becomes `~1`, in that order. */
export function toPointer(path: readonly (string | number)[]): string {
  return path.map((segment) => `/${String(segment).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/** Sorts by position in the submitted document (array index, then property order), stably. */
export function inDocumentOrder(input: unknown, found: readonly Found[]): ValidationProblem[] {
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
export function didYouMean(word: string, candidates: readonly string[]): string {
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
