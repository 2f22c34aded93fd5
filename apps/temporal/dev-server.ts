import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";
import { killStaleServer, removePidFile, removePidFileSync } from "./pid-file";
import { acceptsTcp, answers, clientHost, freePort, urlHost } from "./ports";
import {
  describeExit,
  guardAgainstOrphans,
  hasExited,
  parentDeathSignalPrefix,
  settlesWithin,
  terminate,
} from "./server-process";

export interface DevServerOptions {
  /** Path to the Temporal CLI. */
  binary: string;
  /** SQLite file to persist to; omitted means in-memory. */
  dbFile?: string | undefined;
  /** Address to bind; default 127.0.0.1. */
  ip?: string;
  /** gRPC port; 0 or omitted picks a free one. */
  port?: number | undefined;
  /** Web UI port; 0 or omitted picks a free one. */
  uiPort?: number | undefined;
  /** false starts the server headless. */
  ui?: boolean;
  namespace?: string;
  logLevel?: "debug" | "info" | "warn" | "error";
  /** A server left running by a crashed earlier run and named here is killed before starting. */
  pidFile?: string | undefined;
  /** How long to wait for the server to answer; default 30 s. */
  startTimeoutMs?: number;
  /** Receives the server's stdout and stderr, one line at a time. */
  onLog?: (line: string) => void;
  extraArgs?: string[];
}

export interface DevServer {
  /** host:port for `Connection.connect` / `NativeConnection.connect`. */
  address: string;
  uiUrl: string | undefined;
  namespace: string;
  /** Undefined when the SDK runs the server, which does not expose it. */
  pid: number | undefined;
  /** Idempotent: SIGTERM, up to 5 s for a clean exit, then SIGKILL. */
  stop(): Promise<void>;
  /** Settles when the server process exits, stopped or not; undefined when the SDK runs it. */
  exited?: Promise<void>;
}

const logTail = 20;

/**
 * The server's periodic version check phones home to Temporal; off, so it behaves the same offline (with
 * the UI on we also pass --ui-disable-news-fetch for the same reason).
 */
export const offlineArgs = ["--dynamic-config-value", "frontend.enableServerVersionCheck=false"];

/**
 * Starts `temporal server start-dev` and resolves once it answers DescribeNamespace.
 *
 * Orphans: stop() is the normal path. The server runs in its own process group, so a terminal's Ctrl-C
 * does not reach it. If the process exits (normally, on an uncaught exception, or on
 * SIGINT/SIGTERM with no other handler) the server is sent SIGTERM. If this process is SIGKILLed, no
 * Node code runs, so on Linux the server is started through util-linux `setpriv --pdeathsig TERM`,
 * which makes the kernel signal it when its parent dies. Without setpriv (macOS), the server dies of
 * SIGPIPE the next time it writes a log line to our closed pipe (Go's default for fds 1 and 2), and a
 * `pidFile` lets the next start kill whatever survived.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  if (opts.pidFile) await killStaleServer(opts.pidFile, opts.onLog);
  // Free ports are picked before the server binds them, so another process can take one in between;
  // retry with fresh ports when we chose them.
  const attempts = opts.port ? 1 : 3;
  for (let attempt = 1; ; attempt++) {
    const started = await startOnce(opts);
    if (started.ok) return started.server;
    if (!started.portTaken || attempt >= attempts) throw new Error(started.message);
  }
}

type Started = { ok: true; server: DevServer } | { ok: false; portTaken: boolean; message: string };

async function startOnce(opts: DevServerOptions): Promise<Started> {
  const ip = opts.ip ?? "127.0.0.1";
  const namespace = opts.namespace ?? "default";
  const port = opts.port || (await freePort(ip));
  const ui = opts.ui !== false;
  const uiPort = ui ? opts.uiPort || (await freePort(ip, port)) : undefined;

  // A server already on a port we were told to use would answer our health check in place of ours.
  for (const [flag, wanted] of [
    ["port", opts.port],
    ["UI port", ui ? opts.uiPort : undefined],
  ] as const) {
    if (wanted && (await acceptsTcp(clientHost(ip), wanted))) {
      const message = `Cannot start the Temporal dev server: ${flag} ${wanted} on ${ip} is already in use (another Temporal server?). Stop it or choose another ${flag}.`;
      return { ok: false, portTaken: false, message };
    }
  }

  const args = ["server", "start-dev", "--ip", ip, "--port", String(port), "--namespace", namespace];
  // JSON lines without colour codes: parsed into the logger's records (server-log.ts), never raw text in a file.
  args.push(
    "--log-level",
    opts.logLevel ?? "warn",
    "--log-format",
    "json",
    "--color",
    "never",
    ...offlineArgs,
  );
  if (uiPort) args.push("--ui-port", String(uiPort), "--ui-disable-news-fetch");
  else args.push("--headless");
  if (opts.dbFile) args.push("--db-filename", opts.dbFile);
  args.push(...(opts.extraArgs ?? []));

  const deathSignal = parentDeathSignalPrefix();
  const [command, ...commandArgs] = [...deathSignal, opts.binary, ...args] as [string, ...string[]];
  const child = spawn(command, commandArgs, {
    stdio: ["ignore", "pipe", "pipe"],
    // Out of the terminal's process group: Ctrl-C reaches only us and we decide the shutdown order
    // (worker first, then server). Should we die without stopping it, the exit hook, the kernel's
    // parent-death signal (setpriv) or, failing both, the pid file at the next start kills it.
    detached: true,
  });
  // A forgotten stop() must not keep Node alive; the exit hook below still kills the server.
  child.unref();

  const recent: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    (stream as unknown as { unref?: () => void }).unref?.();
    createInterface({ input: stream }).on("line", (line) => {
      recent.push(line);
      if (recent.length > logTail) recent.shift();
      opts.onLog?.(line);
    });
  }
  const failure = (reason: string): Started => ({
    ok: false,
    portTaken: recent.some((l) => l.includes("address already in use")),
    message: `Temporal dev server (${opts.binary} ${args.join(" ")}) ${reason}.${
      recent.length ? `\nLast output:\n${recent.map((l) => `  ${l}`).join("\n")}` : " It printed nothing."
    }`,
  });

  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once("spawn", () => resolve(undefined));
    child.once("error", resolve);
  });
  if (spawnError || child.pid === undefined) return failure(`could not start: ${spawnError?.message}`);
  const pid = child.pid;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // "close" also waits for the output pipes to drain, so the last lines are in `recent`.
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));

  const unguard = guardAgainstOrphans(
    child,
    () => stop(),
    () => opts.pidFile && removePidFileSync(opts.pidFile, pid),
  );
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      unguard();
      await terminate(child, exited);
      if (opts.pidFile) await removePidFile(opts.pidFile, pid);
    })();
    return stopping;
  };
  if (opts.pidFile) {
    try {
      await mkdir(dirname(opts.pidFile), { recursive: true });
      await writeFile(opts.pidFile, `${pid}\n`);
    } catch (err) {
      await stop();
      throw err;
    }
  }

  const address = `${clientHost(ip)}:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (hasExited(child)) {
      await stop();
      await settlesWithin(closed, 1_000);
      return failure(`exited with ${describeExit(child)} before answering on ${address}`);
    }
    if (Date.now() > deadline) {
      await stop();
      return failure(`did not answer on ${address} within ${opts.startTimeoutMs ?? 30_000} ms`);
    }
    if (await answers(clientHost(ip), port, namespace)) break;
    await Promise.race([delay(100), exited]);
  }
  child.once("exit", () => {
    if (!stopping) opts.onLog?.(`temporal server exited unexpectedly with ${describeExit(child)}`);
  });

  return {
    ok: true,
    server: {
      address,
      uiUrl: uiPort ? `http://${urlHost(clientHost(ip))}:${uiPort}` : undefined,
      namespace,
      pid,
      stop,
      exited,
    },
  };
}
