import { type ChildProcess, spawnSync } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";

/** How long a server gets to exit after SIGTERM before it is sent SIGKILL. */
export const stopGraceMs = 5_000;

/**
 * `setpriv --pdeathsig TERM --` when util-linux has it: the kernel then sends the server SIGTERM when
 * the thread that spawned it dies, even if Node is SIGKILLed. setpriv execs, so the pid is the server's.
 */
export function parentDeathSignalPrefix(): string[] {
  if (process.platform !== "linux") return [];
  const probe = spawnSync("setpriv", ["--help"], { encoding: "utf8", timeout: 5_000 });
  return probe.status === 0 && probe.stdout.includes("--pdeathsig")
    ? ["setpriv", "--pdeathsig", "TERM", "--"]
    : [];
}

// Marks our own signal listeners so one server's guard can tell them from the application's.
const guardMark = Symbol("volante.temporal.guard");

/**
 * Kills `child` when this process exits without stopping it. `afterKill` runs synchronously then (it may
 * run in the exit event), e.g. to remove the server's pid file.
 */
export function guardAgainstOrphans(
  child: ChildProcess,
  stop: () => Promise<void>,
  afterKill: () => void = () => {},
): () => void {
  const killNow = () => {
    if (!hasExited(child)) child.kill("SIGTERM");
    afterKill();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    // An application handler owns shutdown (and calls stop()); the exit hook stays as a backstop.
    const foreign = process.listeners(signal).filter((l) => !(guardMark in l));
    if (foreign.length > 0) return;
    // Listening disabled Node's default of dying on the signal, so re-raise it once we are done.
    void stop().finally(() => process.kill(process.pid, signal));
  };
  Object.assign(onSignal, { [guardMark]: true });
  process.on("exit", killNow);
  process.on("uncaughtExceptionMonitor", killNow);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return () => {
    process.off("exit", killNow);
    process.off("uncaughtExceptionMonitor", killNow);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
}

export async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (hasExited(child)) return;
  child.kill("SIGTERM");
  if (await settlesWithin(exited, stopGraceMs)) return;
  child.kill("SIGKILL");
  await settlesWithin(exited, stopGraceMs);
}

export async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  const timeout = delay(ms).then(() => false);
  return Promise.race([promise.then(() => true), timeout]);
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export function describeExit(child: ChildProcess): string {
  return child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`;
}
