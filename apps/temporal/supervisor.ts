import { setTimeout as delay } from "node:timers/promises";
import type { DevServer } from "./dev-server";

/** Restart backoff: doubles from the first delay up to the cap; reset once a server stays up a minute. */
export const restartBackoff = { firstMs: 1_000, maxMs: 30_000, stableMs: 60_000 };

export type Supervised = {
  /** Stops the server and any restart in progress. Idempotent. */
  stop(): Promise<void>;
};

/**
 * Keeps the embedded dev server running: when it exits without being stopped, it is started again (same
 * ports, same SQLite file, so workflows carry on) after a backoff that doubles up to 30 s.
 */
export function superviseDevServer(opts: {
  first: DevServer & { exited: Promise<void> };
  restart: () => Promise<DevServer>;
  /** The server went away: callers fail fast until it is back. */
  onExit: () => void;
  log: { info(message: string): void; warn(message: string): void };
}): Supervised {
  let current: DevServer = opts.first;
  let stopping: Promise<void> | undefined;
  let restarting: Promise<DevServer> | undefined;
  const aborted = new AbortController();

  const watch = async (exited: Promise<void>, startedAt: number, previousDelayMs: number) => {
    await exited;
    if (stopping) return;
    opts.onExit();
    let delayMs =
      Date.now() - startedAt >= restartBackoff.stableMs
        ? restartBackoff.firstMs
        : Math.min(previousDelayMs * 2, restartBackoff.maxMs);
    for (;;) {
      opts.log.warn(`Temporal dev server exited unexpectedly; restarting it in ${delayMs / 1000} s`);
      try {
        await delay(delayMs, undefined, { signal: aborted.signal });
      } catch {
        return; // stopped while waiting
      }
      try {
        restarting = opts.restart();
        const server = await restarting;
        if (stopping) {
          await server.stop();
          return;
        }
        current = server;
        opts.log.info(`Temporal dev server restarted (pid ${server.pid ?? "?"})`);
        if (server.exited) void watch(server.exited, Date.now(), delayMs);
        return;
      } catch (err) {
        opts.log.warn(`Temporal dev server did not restart: ${(err as Error).message}`);
        delayMs = Math.min(delayMs * 2, restartBackoff.maxMs);
      }
    }
  };
  void watch(opts.first.exited, Date.now(), restartBackoff.firstMs / 2);

  return {
    stop() {
      stopping ??= (async () => {
        aborted.abort();
        // A server still booting is stopped once it is up (its stop() is idempotent).
        await restarting?.then((server) => server.stop()).catch(() => {});
        await current.stop();
      })();
      return stopping;
    },
  };
}
