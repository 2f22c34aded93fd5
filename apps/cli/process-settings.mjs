// How `volante worker` is started by bin.mjs (and by the bench, to measure what a deployment runs):
// Node flags and environment chosen for the worker's memory (docs/decisions/0045-throughput.md).

/** The SDK's workflow cache when TEMPORAL_MAX_CACHED_WORKFLOWS is unset (apps/worker/worker.ts). */
const DEFAULT_CACHE = 250;

/**
 * The flags and environment `volante worker` runs with, for a workflow cache of `cachedWorkflows`.
 * - A worker holds several V8 isolates: the main thread, the SDK's workflow thread and tsx's loader
 *   thread. By default each may grow its heap to 4 times its live data before a full GC, because the
 *   growth allowed depends on the heap's ceiling, which is about 4 GiB here. A ceiling of 512 MiB
 *   lowers that factor to about 1.4. The live sets measured are about 60–80 MiB per isolate with 250
 *   cached runs. A larger cache gets 1 MiB more per run, so a large cache never runs out of heap.
 * - 4 MiB semi-spaces keep each isolate's young generation small (3 × 16 MiB by default).
 * - The SDK's Rust core allocates from many threads. Two glibc malloc arenas, instead of eight per
 *   core, keep the memory it frees reusable.
 */
export function workerSettings(cachedWorkflows = DEFAULT_CACHE) {
  const heapMiB = 512 + Math.max(0, cachedWorkflows - DEFAULT_CACHE);
  return {
    nodeFlags: [`--max-old-space-size=${heapMiB}`, "--max-semi-space-size=4"],
    env: { MALLOC_ARENA_MAX: "2" },
  };
}

/**
 * The Node flags and environment of a `volante <command>` child process: `volante worker`'s memory
 * settings, and nothing for any other command. An operator's own setting wins: a flag also named in
 * NODE_OPTIONS is left out (a flag on the command line would override it), and a MALLOC_ARENA_MAX set
 * in the environment is kept.
 */
export function processSettings(command, env) {
  if (command !== "worker") return { nodeFlags: [], env };
  const cache = Number.parseInt(env.TEMPORAL_MAX_CACHED_WORKFLOWS ?? "", 10);
  const worker = workerSettings(Number.isInteger(cache) && cache > 0 ? cache : DEFAULT_CACHE);
  const own = env.NODE_OPTIONS ?? "";
  return {
    nodeFlags: worker.nodeFlags.filter((flag) => !own.includes(flag.split("=")[0])),
    env: { ...worker.env, ...env },
  };
}
