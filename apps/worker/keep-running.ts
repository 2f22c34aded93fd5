import { setTimeout as delay } from "node:timers/promises";
import type { Worker } from "@temporalio/worker";

/**
 * Runs a worker and, should it stop on its own (a fatal poll error after a long Temporal outage),
 * makes a new one once `ready()` says Temporal is back. The SDK's worker already rides out a server
 * restart on the same address; this is the backstop. `stop()` shuts the current worker down;
 * `running()` says whether one polls now (the worker's /healthz).
 */
export function keepWorkerRunning(opts: {
  first: Worker;
  create: () => Promise<Worker>;
  ready: () => boolean;
  log: { warn(message: string, fields?: Record<string, unknown>): void };
}): { stop(): Promise<void>; running(): boolean } {
  let current: Worker | undefined = opts.first;
  let stopping = false;
  const stopped = new AbortController();
  const loop = (async () => {
    for (;;) {
      try {
        await current?.run();
      } catch (err) {
        opts.log.warn("the worker stopped", { error: err });
      }
      current = undefined;
      if (stopping) return;
      for (let waitMs = 1_000; !stopping; waitMs = Math.min(waitMs * 2, 30_000)) {
        await delay(waitMs, undefined, { signal: stopped.signal }).catch(() => {});
        if (stopping || !opts.ready()) continue;
        try {
          current = await opts.create();
          break;
        } catch (err) {
          opts.log.warn("could not make a new worker yet", { error: err });
        }
      }
      if (stopping) {
        // Made just as we were told to stop: it never ran, so there is nothing to drain.
        await current?.runUntil(Promise.resolve()).catch(() => {});
        return;
      }
      opts.log.warn("a new worker is polling");
    }
  })();
  return {
    running: () => current?.getState() === "RUNNING",
    async stop() {
      stopping = true;
      stopped.abort();
      if (current?.getState() === "RUNNING") current.shutdown();
      await loop;
    },
  };
}
