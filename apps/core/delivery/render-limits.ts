/**
 * What one render may cost (docs/decisions/0021-render-sandbox.md). A 910-character template of inline
 * partials, each calling the one below ten times, eight deep, renders 10⁸ copies: the static limits
 * refuse it from its syntax tree before anything renders; the sandbox's time, memory and output limits
 * stop what only explodes with real data (an `#each` over a long list).
 */

/** Partial calls nested in one another, inline partials included (the email layout is not counted). */
export const MAX_PARTIAL_DEPTH = 5;
/** Partials one render may expand, counted from the syntax tree (each call inside an `#each` once). */
export const MAX_PARTIAL_EXPANSIONS = 1_000;
/** The HTML of one render, in UTF-8 bytes. */
export const MAX_OUTPUT_BYTES = 512 * 1024;
/** One render's time in its thread; past it the thread is terminated and replaced. */
export const RENDER_TIMEOUT_MS = 1_000;
/** The heap of a render thread; past it the thread dies and is replaced. */
export const RENDER_HEAP_MB = 64;
/** Render threads per process: a send or a save waits behind at most one other render. */
export const RENDER_THREADS = 2;

type Program = hbs.AST.Program;
type Cost = { depth: number; expansions: number };
const nothing: Cost = { depth: 0, expansions: 0 };

/** Refused before rendering: the message says which limit and by how much. */
class Refusal extends Error {}

/**
 * Why a parsed template would exceed the partial limits, if it would: partials nested deeper than
 * `MAX_PARTIAL_DEPTH`, more than `MAX_PARTIAL_EXPANSIONS` in all, a partial that calls itself, or a
 * partial named at run time (its depth cannot be known). `partials`: the installation's, parsed.
 */
export function partialProblem(
  template: Program,
  partials: ReadonlyMap<string, Program>,
): string | undefined {
  const inline = new Map<string, Program[]>();
  collectInline(template, inline);
  const definitions = (name: string): Program[] => {
    const shipped = partials.get(name);
    return [...(inline.get(name) ?? []), ...(shipped ? [shipped] : [])];
  };

  // Memoised per partial and the block it is given, so the analysis stays linear in the source.
  const memo = new Map<string, Cost>();
  const calling = new Set<string>();
  const partialCost = (name: string, block: Cost | undefined): Cost | undefined => {
    const defs = definitions(name);
    if (defs.length === 0) return undefined;
    const key = `${name}\u0000${block?.depth}:${block?.expansions}`;
    const known = memo.get(key);
    if (known) return known;
    if (calling.has(name)) throw new Refusal(`the partial "${name}" calls itself`);
    calling.add(name);
    // Two definitions of one name (an inline partial shadowing another): count the costlier.
    const cost = defs.map((def) => programCost(def, block)).reduce(max, nothing);
    calling.delete(name);
    memo.set(key, cost);
    return cost;
  };

  const programCost = (program: Program | undefined, block: Cost | undefined): Cost => {
    let depth = 0;
    let expansions = 0;
    for (const node of program?.body ?? []) {
      let call: Cost | undefined;
      if (node.type === "PartialStatement") {
        const name = partialName(node as hbs.AST.PartialStatement);
        if (name === "@partial-block" && !block)
          // Outside a block call it would render the message itself again, without end.
          throw new Refusal(
            "{{> @partial-block}} belongs in a partial called as a block ({{#> name}}…{{/name}})",
          );
        // A plain call hands the callee the caller's `@partial-block`.
        call = name === "@partial-block" ? block : (partialCost(name, block) ?? nothing);
      } else if (node.type === "PartialBlockStatement") {
        const partial = node as hbs.AST.PartialBlockStatement;
        const inner = programCost(partial.program, block);
        // A missing partial renders its block instead.
        call = partialCost(partialName(partial), inner) ?? inner;
      } else if (node.type === "BlockStatement") {
        const section = node as hbs.AST.BlockStatement;
        const inner = [programCost(section.program, block), programCost(section.inverse, block)];
        depth = Math.max(depth, ...inner.map((c) => c.depth));
        expansions += inner.reduce((sum, c) => sum + c.expansions, 0);
      }
      // An inline partial's definition renders nothing where it stands; text and values call nothing.
      if (call) {
        depth = Math.max(depth, call.depth + 1);
        expansions += call.expansions + 1;
      }
    }
    return { depth, expansions };
  };

  try {
    const cost = programCost(template, undefined);
    if (cost.depth > MAX_PARTIAL_DEPTH)
      return `partials nest ${cost.depth} deep; at most ${MAX_PARTIAL_DEPTH} are allowed`;
    if (cost.expansions > MAX_PARTIAL_EXPANSIONS)
      return `expands ${formatCount(cost.expansions)} partials; at most ${MAX_PARTIAL_EXPANSIONS} are allowed`;
    return undefined;
  } catch (err) {
    if (err instanceof Refusal) return err.message;
    throw err;
  }
}

function max(a: Cost, b: Cost): Cost {
  return { depth: Math.max(a.depth, b.depth), expansions: Math.max(a.expansions, b.expansions) };
}

function partialName(node: hbs.AST.PartialStatement | hbs.AST.PartialBlockStatement): string {
  if (node.name.type === "SubExpression")
    throw new Refusal("a partial's name must be written out, not computed ({{> (…)}})");
  // A path (`{{> button}}`) or a literal (`{{> "button"}}`).
  return String((node.name as { original: unknown }).original);
}

/** Every `{{#*inline "name"}}` in the tree, wherever it is defined (scopes merged: an upper bound). */
function collectInline(node: unknown, found: Map<string, Program[]>): void {
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const child of node) collectInline(child, found);
    return;
  }
  const n = node as { type?: string; path?: { original?: string }; params?: unknown[]; program?: Program };
  if (n.type === "DecoratorBlock" && n.path?.original === "inline" && n.program) {
    const name = String((n.params?.[0] as { original?: unknown } | undefined)?.original);
    found.set(name, [...(found.get(name) ?? []), n.program]);
  }
  for (const key of ["body", "program", "inverse"] as const) {
    const child = (node as Record<string, unknown>)[key];
    if (child) collectInline(child, found);
  }
}

function formatCount(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString("en") : "infinitely many";
}

/** Whether the template calls `{{log}}`, which would write template text into the server's log. */
export function usesLog(node: unknown): boolean {
  if (!node || typeof node !== "object") return false;
  if (Array.isArray(node)) return node.some(usesLog);
  const n = node as { type?: string; path?: hbs.AST.PathExpression };
  const isCall = n.type === "MustacheStatement" || n.type === "BlockStatement" || n.type === "SubExpression";
  if (isCall && n.path?.type === "PathExpression" && !n.path.data && n.path.original === "log") return true;
  return Object.values(node).some((child) => child && typeof child === "object" && usesLog(child));
}
