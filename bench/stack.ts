import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { Client, Connection } from "@temporalio/client";
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime } from "@temporalio/worker";
import postgres from "postgres";
import { createApp } from "../apps/api/app";
import type { AppDeps } from "../apps/api/context";
import { createMetrics } from "../apps/api/metrics";
import { createWorkspace } from "../apps/core/api-keys";
import type { RuntimeDeps } from "../apps/core/enrollments";
import { loadFileTemplates } from "../apps/core/templates";
import type { Env } from "../apps/env";
import { createLogger } from "../apps/logger";
import { provisionDevServer } from "../apps/temporal/dev-server";
import { createWorker, workflowsPath } from "../apps/worker/worker";
import { type Database, openDatabase } from "../db/client";
import { migrate } from "../db/migrate";

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
  /**
   * Replaces the worker with `processes` workers (this process's, plus child processes on
   * PostgreSQL) whose workflow caches hold `maxCachedWorkflows` runs each.
   */
  restartWorker(maxCachedWorkflows: number, processes?: number): Promise<void>;
  close(): Promise<void>;
};

export async function startBenchStack(env: Env, log: (line: string) => void): Promise<BenchStack> {
  Runtime.install({ logger: new DefaultLogger("ERROR"), shutdownSignals: [] });
  const stops: (() => Promise<unknown>)[] = [];
  const dir = await mkdtemp(join(tmpdir(), "volante-bench-"));
  stops.push(() => rm(dir, { recursive: true, force: true }));

  const server = await provisionDevServer({
    explicitPath: env.TEMPORAL_CLI_PATH,
    searchPath: env.PATH,
    cacheDir: env.cacheDir,
    ui: false,
    onProgress: log,
  });
  stops.push(() => server.stop());

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

  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: server.address });
  stops.push(async () => {
    await native.close();
    await connection.close();
  });
  const taskQueue = "bench";
  const fileTemplates = await loadFileTemplates();
  const outboxDir = join(dir, "outbox");
  // Bundled once, so a worker restarted with another cache size (or in another process) starts at once.
  const workflowBundle = {
    codePath: join(dir, "workflow-bundle.js"),
  };
  await writeFile(
    workflowBundle.codePath,
    (await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger("WARN") })).code,
  );
  const startWorker = async (maxCachedWorkflows: number) => {
    const worker = await createWorker({
      connection: native,
      namespace: "default",
      taskQueue,
      db: database.db,
      client,
      outboxDir,
      fileTemplates,
      publicUrl: "http://localhost:3000",
      workflowBundle,
      maxCachedWorkflows,
    });
    const running = worker.run();
    return async () => {
      worker.shutdown();
      await running;
    };
  };
  /** Another worker in a child process (bench/worker-process.ts); resolves once it polls. */
  const startWorkerProcess = async (maxCachedWorkflows: number) => {
    const child = spawn(
      process.execPath,
      [
        fileURLToPath(new URL("../node_modules/tsx/dist/cli.mjs", import.meta.url)),
        "bench/worker-process.ts",
        ...["--database-url", databaseUrl ?? "", "--temporal-address", server.address],
        ...["--task-queue", taskQueue, "--outbox", outboxDir],
        ...["--workflow-bundle", workflowBundle.codePath],
        ...["--max-cached-workflows", String(maxCachedWorkflows)],
      ],
      { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: ["ignore", "pipe", "pipe"] },
    );
    let errors = "";
    child.stderr?.on("data", (d) => {
      errors += d;
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on("data", (d) => {
        if (String(d).includes("ready")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`bench worker exited (${code}):\n${errors}`)));
    });
    return async () => {
      child.kill("SIGTERM");
      await exited;
    };
  };
  let stopWorkers = [await startWorker(env.TEMPORAL_MAX_CACHED_WORKFLOWS)];
  const stopAll = async () => {
    await Promise.all(stopWorkers.map((stop) => stop()));
    stopWorkers = [];
  };
  stops.push(stopAll);

  const appDeps: AppDeps = {
    db: database.db,
    fileTemplates,
    outboxDir,
    publicUrl: "http://localhost:3000",
    now: () => new Date(),
    temporal: { client, taskQueue, namespace: "default" },
    metrics: createMetrics(),
    log: createLogger("error"),
    info: { database: database.driver },
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

  return {
    database,
    raw,
    deps: { db: database.db, client, taskQueue },
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
    temporalVersion: server.binary ?? server.source,
    postgresVersion,
    maxCachedWorkflows: env.TEMPORAL_MAX_CACHED_WORKFLOWS,
    async restartWorker(maxCachedWorkflows, processes = 1) {
      await stopAll();
      stopWorkers.push(await startWorker(maxCachedWorkflows));
      if (processes > 1 && !databaseUrl)
        log("PGlite has one writer: the other worker processes need DATABASE_URL");
      else for (let i = 1; i < processes; i++) stopWorkers.push(await startWorkerProcess(maxCachedWorkflows));
    },
    async close() {
      for (const stop of stops.reverse()) await stop().catch(() => {});
    },
  };
}
