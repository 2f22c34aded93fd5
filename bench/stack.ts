import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { Client, Connection } from "@temporalio/client";
import { DefaultLogger, NativeConnection, Runtime } from "@temporalio/worker";
import postgres from "postgres";
import { createApp } from "../apps/api/app";
import type { AppDeps } from "../apps/api/context";
import { createMetrics } from "../apps/api/metrics";
import { workerSettings } from "../apps/cli/process-settings.mjs";
import { loadRenderer } from "../apps/core/delivery/render";
import type { RuntimeDeps } from "../apps/core/enrollments/runtime";
import { type Services, systemClock } from "../apps/core/shared/services";
import { loadFileTemplates } from "../apps/core/templates/files";
import { createWorkspace } from "../apps/core/workspace/api-keys";
import type { Env } from "../apps/env";
import { createLogger } from "../apps/logger";
import { provisionDevServer } from "../apps/temporal/provision";
import { type Database, openDatabase } from "../db/client";
import { migrate } from "../db/migrate";
import { type ApiProcess, startApiProcess } from "./api-process";
import { bundleBenchWorkflows, createBenchWorker } from "./worker";

/** Everything a scenario needs: a fresh database, the embedded Temporal dev server, a worker, the API. */
export type BenchStack = {
  database: Database;
  /** postgres.js on the same database, for the raw baselines (absent on PGlite). */
  raw: postgres.Sql | undefined;
  deps: RuntimeDeps;
  app: ReturnType<typeof createApp>;
  apiUrl: string;
  workspaceId: string;
  apiKey: string;
  request(method: string, path: string, body?: unknown): Promise<Response>;
  temporalVersion: string;
  postgresVersion: string;
  /** The workflow cache of the configured worker (TEMPORAL_MAX_CACHED_WORKFLOWS or its default). */
  maxCachedWorkflows: number;
  /** Replaces the worker with one whose workflow cache holds `maxCachedWorkflows` runs. */
  restartWorker(maxCachedWorkflows: number): Promise<void>;
  /**
   * A new, empty dev server (the API's client and `deps.client` follow it) and a worker on it: a
   * Temporal scenario measured on it is not slowed by what earlier scenarios left on the old one.
   */
  freshTemporal(maxCachedWorkflows: number): Promise<void>;
  /**
   * Replaces the worker with one in a process of its own (bench/worker-process.ts; PostgreSQL only,
   * PGlite has one writer), whose memory can then be read apart from the API's and the bench's.
   */
  workerProcess(maxCachedWorkflows: number): Promise<WorkerProcess>;
  /**
   * `volante api` in a process of its own on this database and Temporal server (PostgreSQL only),
   * starting its runs on `taskQueue` when given (one no worker polls: they are queued, not run).
   */
  apiProcess(options?: { taskQueue?: string }): Promise<ApiProcess>;
  close(): Promise<void>;
};

/** The worker's resident set now and at its peak; `breakdown`, what its highest sample held (bytes). */
export type WorkerProcess = {
  memory(): Promise<{
    rss: number;
    peak: number;
    breakdown: { heap: number; external: number; sampled: number };
  }>;
};

export async function startBenchStack(
  env: Env,
  log: (line: string) => void,
  nodeFlags: { worker: string[]; api: string[] } = { worker: [], api: [] },
): Promise<BenchStack> {
  const workerNodeFlags = nodeFlags.worker;
  Runtime.install({ logger: new DefaultLogger("ERROR"), shutdownSignals: [] });
  const stops: (() => Promise<unknown>)[] = [];
  const dir = await mkdtemp(join(tmpdir(), "volante-bench-"));
  stops.push(() => rm(dir, { recursive: true, force: true }));

  // The dev server and the connections to it, replaced as a whole by freshTemporal().
  const connectTemporal = async (onProgress: (line: string) => void) => {
    const server = await provisionDevServer({
      explicitPath: env.TEMPORAL_CLI_PATH,
      searchPath: env.PATH,
      cacheDir: env.cacheDir,
      ui: false,
      onProgress,
    });
    const connection = await Connection.connect({ address: server.address });
    const native = await NativeConnection.connect({ address: server.address });
    return { server, connection, native, client: new Client({ connection }) };
  };
  let temporal = await connectTemporal(log);
  const disconnectTemporal = async () => {
    await temporal.native.close();
    await temporal.connection.close();
    await temporal.server.stop();
  };
  stops.push(disconnectTemporal);

  // A database of its own on the server in DATABASE_URL (dropped at the end), else embedded PGlite.
  let database: Database;
  let raw: postgres.Sql | undefined;
  let databaseUrl: string | undefined;
  if (env.DATABASE_URL) {
    const name = `volante_bench_${process.pid}`;
    const admin = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${name}`);
    await admin.unsafe(`create database ${name}`);
    const url = new URL(env.DATABASE_URL);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    database = await openDatabase({ url: url.toString(), max: 20 });
    raw = postgres(url.toString(), { max: 8, onnotice: () => {} });
    stops.push(async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    });
  } else {
    log("DATABASE_URL is not set: measuring on embedded PGlite (set it for PostgreSQL figures)");
    database = await openDatabase({ dataDir: join(dir, "pgdata") });
  }
  stops.push(async () => {
    await raw?.end();
    await database.close();
  });
  await migrate(database);

  const taskQueue = "bench";
  const fileTemplates = await loadFileTemplates();
  const outboxDir = join(dir, "outbox");
  // Bundled once, so a worker restarted with another cache size (or in another process) starts at once.
  const workflowBundle = {
    codePath: join(dir, "workflow-bundle.js"),
  };
  await writeFile(workflowBundle.codePath, await bundleBenchWorkflows());
  // Built once, as npm start does; the Temporal client is the current one (freshTemporal replaces it).
  const services: Omit<Services, "client"> = {
    db: database.db,
    taskQueue,
    namespace: "default",
    outboxDir,
    fileTemplates,
    renderer: await loadRenderer(),
    publicUrl: "http://localhost:3000",
    clock: systemClock,
    // The webhook receivers here listen on loopback.
    outbound: { allow: ["127.0.0.0/8", "::1"] },
    log: createLogger("error"),
  };
  const startWorker = async (maxCachedWorkflows: number) => {
    const worker = await createBenchWorker({
      ...services,
      client: temporal.client,
      connection: temporal.native,
      workflowBundle,
      maxCachedWorkflows,
    });
    const running = worker.run();
    return async () => {
      worker.shutdown();
      await running;
    };
  };
  const startWorkerProcess = async (maxCachedWorkflows: number) => {
    if (!databaseUrl) throw new Error("a worker process needs DATABASE_URL (PGlite has one writer)");
    // Node itself runs the script (tsx as a loader), so the child's memory is the worker's.
    const settings = workerSettings(maxCachedWorkflows);
    const child = spawn(
      process.execPath,
      [
        // What `volante worker` runs with (apps/cli/process-settings.mjs), or the flags given with
        // --worker-node-flags instead, to measure what a deployment would give its worker processes.
        ...(workerNodeFlags.length > 0 ? workerNodeFlags : settings.nodeFlags),
        ...["--import", "tsx", "bench/worker-process.ts"],
        ...["--database-url", databaseUrl, "--temporal-address", temporal.server.address],
        ...["--task-queue", taskQueue, "--outbox", outboxDir],
        ...["--workflow-bundle", workflowBundle.codePath],
        ...["--max-cached-workflows", String(maxCachedWorkflows)],
      ],
      {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...settings.env, PATH: env.PATH, ...(env.HOME ? { HOME: env.HOME } : {}) },
      },
    );
    let errors = "";
    child.stderr?.on("data", (d) => {
      errors += d;
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const lines = createInterface({ input: child.stdout });
    const answers: ((line: string) => void)[] = [];
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`bench worker exited (${code}):\n${errors}`)));
      lines.on("line", (line) => {
        if (line === "ready") resolve();
        else answers.shift()?.(line);
      });
    });
    const handle: WorkerProcess = {
      memory: () =>
        new Promise((resolve) => {
          answers.push((line) => resolve(JSON.parse(line)));
          child.stdin?.write("memory\n");
        }),
    };
    const stop = async () => {
      child.kill("SIGTERM");
      await exited;
    };
    return { handle, stop };
  };
  let stopWorkers = [await startWorker(env.TEMPORAL_MAX_CACHED_WORKFLOWS)];
  const stopAll = async () => {
    await Promise.all(stopWorkers.map((stop) => stop()));
    stopWorkers = [];
  };
  stops.push(stopAll);

  const appDeps: AppDeps = {
    ...services,
    client: temporal.client,
    metrics: createMetrics(),
    info: { database: database.driver },
    // The scenarios measure throughput from one key and one address; a request budget would cap it.
    rateLimits: { key: "off", address: "off" },
  };
  const app = createApp(appDeps);
  const http = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  stops.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
  const apiUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const { workspaceId, apiKey } = await createWorkspace(database.db, "Bench");
  const version = (await database.db.execute("select version() as v")) as unknown as
    | { rows: { v: string }[] }
    | { v: string }[];
  const postgresVersion = ("rows" in version ? version.rows : version)[0]?.v.split(" on ")[0] ?? "?";

  const deps: RuntimeDeps = { db: database.db, client: temporal.client, taskQueue, clock: systemClock };
  return {
    database,
    raw,
    deps,
    app,
    apiUrl,
    workspaceId,
    apiKey,
    request: (method, path, body) =>
      fetch(`${apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      }),
    temporalVersion: temporal.server.binary ?? temporal.server.source,
    postgresVersion,
    maxCachedWorkflows: env.TEMPORAL_MAX_CACHED_WORKFLOWS,
    async restartWorker(maxCachedWorkflows) {
      await stopAll();
      stopWorkers.push(await startWorker(maxCachedWorkflows));
    },
    async freshTemporal(maxCachedWorkflows) {
      await stopAll();
      await disconnectTemporal();
      temporal = await connectTemporal(() => {});
      deps.client = temporal.client;
      appDeps.client = temporal.client;
      stopWorkers.push(await startWorker(maxCachedWorkflows));
    },
    async workerProcess(maxCachedWorkflows) {
      await stopAll();
      const { handle, stop } = await startWorkerProcess(maxCachedWorkflows);
      stopWorkers.push(stop);
      return handle;
    },
    async apiProcess(options) {
      if (!databaseUrl) throw new Error("an API process needs DATABASE_URL (PGlite has one writer)");
      const api = await startApiProcess({
        databaseUrl,
        temporalAddress: temporal.server.address,
        taskQueue: options?.taskQueue ?? taskQueue,
        apiKey,
        nodeFlags: nodeFlags.api,
        home: join(dir, "api-home"),
        path: env.PATH,
        userHome: env.HOME,
      });
      stops.push(api.stop);
      return api;
    },
    async close() {
      for (const stop of stops.reverse()) await stop().catch(() => {});
    },
  };
}
