// How `volante worker` is started by bin.mjs (and by the bench, to measure what a deployment runs):
// Node flags and environment chosen for the worker's memory (docs/decisions/0045-throughput.md).

/**
 * A worker process holds several V8 isolates (the main thread, the SDK's workflow thread, tsx's loader
 * thread), each with a young generation of up to 3 × 16 MiB by default. 4 MiB semi-spaces keep that
 * small; the old generations, where the live set is, are left unbounded, so a large cache never
 * crashes the worker. The SDK's Rust core allocates from many threads: two glibc malloc arenas
 * instead of eight per core keep what it frees reusable.
 */
export const workerProcess = {
  nodeFlags: ["--max-semi-space-size=4"],
  env: { MALLOC_ARENA_MAX: "2" },
};

/**
 * The Node flags and environment of a `volante <command>` child process. An operator's own setting
 * wins: a flag also named in NODE_OPTIONS is left out (flags on the command line would override it),
 * and MALLOC_ARENA_MAX set in the environment is kept.
 */
export function processSettings(command, env) {
  if (command !== "worker") return { nodeFlags: [], env };
  const own = env.NODE_OPTIONS ?? "";
  return {
    nodeFlags: workerProcess.nodeFlags.filter((flag) => !own.includes(flag.split("=")[0])),
    env: { ...workerProcess.env, ...env },
  };
}
