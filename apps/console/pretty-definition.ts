/** The keys a reader looks for first, in this order; PostgreSQL's jsonb keeps keys sorted by length. */
const FIRST = [
  "key",
  "name",
  "description",
  "trigger",
  "audience",
  "reentry",
  "exitWhen",
  "goal",
  "steps",
  "id",
  "type",
  "label",
  "if",
  "then",
  "else",
];

/** A journey definition as pretty JSON, each object's well-known keys first (the rest as stored). */
export function prettyDefinition(definition: unknown): string {
  return JSON.stringify(ordered(definition), null, 2);
}

function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const rank = (k: string) => (FIRST.includes(k) ? FIRST.indexOf(k) : FIRST.length);
  // Array.prototype.sort is stable: keys of equal rank keep their stored order.
  entries.sort(([a], [b]) => rank(a) - rank(b));
  return Object.fromEntries(entries.map(([k, v]) => [k, ordered(v)]));
}
