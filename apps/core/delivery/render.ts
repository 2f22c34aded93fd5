import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MessageChannel } from "node:worker_threads";
import { Piscina } from "piscina";
import type { Rendered, RenderJob, RenderReply } from "./render-engine";
import { RENDER_HEAP_MB, RENDER_THREADS, RENDER_TIMEOUT_MS } from "./render-limits";

export type { Rendered } from "./render-engine";

const defaultPartialsDir = new URL("../../../templates/partials/", import.meta.url);

/**
 * Reads `templates/partials/<name>.hbs` (shared pieces like `{{> button url=… label=…}}`, and the email
 * layout): at start, never at import.
 */
export async function loadPartials(dir: string | URL = defaultPartialsDir): Promise<Record<string, string>> {
  const root = typeof dir === "string" ? dir : fileURLToPath(dir);
  const files = (await readdir(root)).filter((f) => f.endsWith(".hbs")).sort();
  const sources = await Promise.all(files.map((file) => readFile(join(root, file), "utf8")));
  return Object.fromEntries(files.map((file, i) => [file.slice(0, -4), sources[i] as string]));
}

/** A template that cannot be rendered: over a limit (render-limits.ts), or failing on its data. */
export class RenderError extends Error {
  override name = "RenderError";
  constructor(
    message: string,
    /**
     * Past the time limit, which is wall-clock time: on a starved machine a sound template can
     * reach it too, so a send tries again while it has attempts left (deliver-touch.ts).
     */
    readonly overTime = false,
  ) {
    super(message);
  }
}

const OVER_TIME = `took longer than ${RENDER_TIMEOUT_MS} ms to render`;

type Template = { subject?: string | null; body: string };

/** Renders message templates with the installation's partials and helpers, off the event loop. */
export type Renderer = {
  /** The rendered message; rejects with a `RenderError` when the template cannot be rendered. */
  render(template: Template, context: object, options?: { layout?: boolean }): Promise<Rendered>;
  /**
   * Why a template cannot be saved, empty when it can: it must render on `context` within the
   * limits, without `{{log}}` and without `javascript:` or `data:` link targets.
   */
  check(template: Template, context: object, options?: { layout?: boolean }): Promise<string[]>;
  /** Stops the render threads (they never keep a process alive while idle). */
  close(): Promise<void>;
};

/**
 * The render sandbox: handlebars with HTML escaping on, in an isolated instance with the given
 * partials (render-engine.ts), run in a small pool of threads (Piscina) with a heap limit. A render
 * that outlives `RENDER_TIMEOUT_MS` has its thread terminated and replaced; one that outgrows the
 * heap kills only its thread. Built once at start (`loadRenderer`) and carried by the services.
 */
export function createRenderer(partials: Record<string, string>): Renderer {
  const pool = new Piscina({
    filename: fileURLToPath(new URL("./render-thread.mjs", import.meta.url)),
    workerData: { partials },
    // Both threads stay up: while one that was terminated is replaced, the other renders.
    minThreads: RENDER_THREADS,
    maxThreads: RENDER_THREADS,
    // The thread loads its own TypeScript (render-thread.mjs), whatever loader this process runs under.
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: RENDER_HEAP_MB, maxYoungGenerationSizeMb: 16 },
  });
  // A thread that dies with no render on it fails no one (Piscina starts another); still worth a word.
  pool.on("error", (err: Error) => process.emitWarning(err));

  const run = async (job: RenderJob): Promise<RenderReply> => {
    const abort = new AbortController();
    const { port1: started, port2 } = new MessageChannel();
    let timer: NodeJS.Timeout | undefined;
    // The clock starts when the thread takes the render, not while it waits in the queue.
    started.once("message", () => {
      timer = setTimeout(() => abort.abort(), RENDER_TIMEOUT_MS);
    });
    try {
      return await pool.run({ job, started: port2 }, { transferList: [port2], signal: abort.signal });
    } catch (err) {
      if (abort.signal.aborted) return { ok: false, problem: OVER_TIME };
      if ((err as { code?: string }).code === "ERR_WORKER_OUT_OF_MEMORY")
        return { ok: false, problem: `needed more than ${RENDER_HEAP_MB} MB to render` };
      throw err;
    } finally {
      clearTimeout(timer);
      started.close();
    }
  };

  return {
    async render(template, context, options = {}) {
      const reply = await run({ template, context, layout: options.layout ?? false, strict: false });
      if (!reply.ok) throw new RenderError(reply.problem, reply.problem === OVER_TIME);
      return reply.rendered;
    },
    async check(template, context, options = {}) {
      const reply = await run({ template, context, layout: options.layout ?? false, strict: true });
      return reply.ok ? reply.problems : [`cannot be rendered: ${reply.problem}`];
    },
    close: () => pool.destroy(),
  };
}

/**
 * `render` with a template that cannot be rendered as a value: a send records it as failed for good,
 * since the same template fails the same way on every attempt, except past the time limit
 * (`overTime`), which a busy machine can cause. Other errors (a closed pool) throw.
 */
export async function renderMessage(
  renderer: Renderer,
  template: Template,
  context: object,
  options: { layout?: boolean } = {},
): Promise<{ ok: true; rendered: Rendered } | { ok: false; reason: string; overTime: boolean }> {
  try {
    return { ok: true, rendered: await renderer.render(template, context, options) };
  } catch (err) {
    if (!(err instanceof RenderError)) throw err;
    return { ok: false, reason: `the template cannot be rendered: ${err.message}`, overTime: err.overTime };
  }
}

/** The renderer of the shipped partials (`templates/partials`), or those under `dir`. */
export async function loadRenderer(dir?: string | URL): Promise<Renderer> {
  return createRenderer(await loadPartials(dir));
}

/** The template locale for a contact: its language if the template has it, else English, else any. */
export function pickLocale(
  available: string[],
  contactLocale: string | null | undefined,
): string | undefined {
  const language = (contactLocale ?? "en").toLowerCase();
  return (
    available.find((l) => l.toLowerCase() === language) ??
    available.find((l) => l.toLowerCase() === language.split("-")[0]) ??
    available.find((l) => l === "en") ??
    available[0]
  );
}
