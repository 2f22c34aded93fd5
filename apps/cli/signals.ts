/** The signals that stop `volante start`. */
const stopSignals = ["SIGINT", "SIGTERM"] as const;
type StopSignal = (typeof stopSignals)[number];

/**
 * The same signal again within this window is one Ctrl-C delivered twice: the terminal signals the
 * whole process group and npm (or tsx) relays it to its child as well.
 */
export const duplicateWindowMs = 1_000;

/**
 * One SIGINT or SIGTERM stops gracefully; a second, distinct one (another signal, or the same one more
 * than a second later) exits at once with 128 + its number.
 */
export function stopOnSignals(opts: {
  stop: (signal: StopSignal) => Promise<void>;
  print: (line: string) => void;
  exit: (code: number) => void;
  now?: () => number;
  /** Where signals arrive; `process` but in tests. */
  source?: Pick<NodeJS.EventEmitter, "on" | "off">;
}): () => void {
  const now = opts.now ?? Date.now;
  const source = opts.source ?? process;
  let first: { signal: StopSignal; at: number } | undefined;
  const handlers = stopSignals.map((signal) => {
    const handler = () => {
      if (!first) {
        first = { signal, at: now() };
        opts.print(`\n${signal}: stopping Volante… (send it again to exit at once)`);
        void opts.stop(signal).then(
          () => {
            opts.print("Stopped.");
            opts.exit(0);
          },
          (err: unknown) => {
            opts.print(`Stopping failed: ${String(err)}`);
            opts.exit(1);
          },
        );
        return;
      }
      if (signal === first.signal && now() - first.at <= duplicateWindowMs) return;
      opts.print(`${signal} again: exiting now.`);
      opts.exit(128 + (signal === "SIGINT" ? 2 : 15));
    };
    source.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) source.off(signal, handler);
  };
}
