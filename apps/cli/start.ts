import { readFileSync, rmSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { Client, Connection } from "@temporalio/client";
import { NativeConnection } from "@temporalio/worker";
import { openDatabase } from "../../db/client";
import { migrate } from "../../db/migrate";
import { createApp } from "../api/app";
import type { AppDeps } from "../api/context";
import { createMetrics } from "../api/metrics";
import { adminRouter } from "../api/routes/admin";
import { createSmtpTransport } from "../core/delivery/mailer";
import { loadRenderer } from "../core/delivery/render";
import { startAwaitingRuns } from "../core/enrollments/awaiting-runs";
import { workspacesWithUnroutedEvents } from "../core/events/ingest";
import { startRouting } from "../core/events/route";
import { ensureHealthSchedules } from "../core/health/schedules";
import { checkReadiness } from "../core/shared/readiness";
import { type Services, systemClock } from "../core/shared/services";
import { loadFileTemplates } from "../core/templates/files";
import {
  countWorkspaces,
  createWorkspace,
  ensureWorkspaceForKey,
  generateApiKey,
} from "../core/workspace/api-keys";
import { countPeople } from "../core/workspace/users";
import type { Env } from "../env";
import type { Logger } from "../logger";
import { startDevServer } from "../temporal/dev-server";
import { createTemporalGate } from "../temporal/gate";
import { freePort } from "../temporal/ports";
import { type ProvisionedDevServer, provisionDevServer } from "../temporal/provision";
import { parseServerLine } from "../temporal/server-log";
import { superviseDevServer } from "../temporal/supervisor";
import { keepWorkerRunning } from "../worker/keep-running";
import { installTemporalRuntime } from "../worker/telemetry";
import { createWorker } from "../worker/worker";
import { generateAdminToken, removeAdminAccess, writeAdminAccess } from "./admin-access";
import { firstKeyFile, firstKeyLines, keepFirstKey } from "./first-key";
import { stillAlive } from "./process-alive";

export type Running = { stop(): Promise<void>; apiUrl: string };

/**
 * `npm start`: migrate, embedded Temporal unless TEMPORAL_ADDRESS, the worker and the API in one process.
 * Every part started is stopped again, in reverse order, by `stop()`.
 */
export async function start(
  env: Env,
  log: Logger,
  print: (line: string) => void,
  /** Whether `print` reaches a terminal: only then is a new API key printed. */
  options: { terminal: boolean } = { terminal: false },
): Promise<Running> {
  const startedAt = performance.now();
  const stack: { name: string; stop: () => Promise<unknown> }[] = [];
  const stop = async () => {
    for (const part of stack.reverse()) {
      try {
        await part.stop();
      } catch (err) {
        log.warn(`stopping ${part.name} failed`, { error: err });
      }
    }
    stack.length = 0;
  };

  let devServerStarting: Promise<ProvisionedDevServer> | undefined;
  const temporalServerLog = log.child({ component: "temporal-server" });
  const metrics = createMetrics();
  try {
    await mkdir(env.home, { recursive: true });
    const releaseHome = await claimHome(env.home);
    stack.push({ name: "lock", stop: async () => releaseHome() });
    // Admin access: a killed Volante's token is stale; the CLI must not find one before this one listens.
    await removeAdminAccess(env.home);

    // The dev server boots while the database opens and migrates.
    const devServerOptions = {
      dbFile: join(env.home, "temporal.db"),
      pidFile: join(env.home, "temporal.pid"),
      port: env.TEMPORAL_PORT,
      uiPort: env.TEMPORAL_UI_PORT,
      namespace: env.TEMPORAL_NAMESPACE,
      onLog: (line: string) => {
        // The server's own warnings are its housekeeping (cluster id, quotas): kept below info, errors shown.
        const { level, msg, fields } = parseServerLine(line);
        temporalServerLog[level === "error" ? "error" : "debug"](msg, fields);
      },
    };
    devServerStarting = env.TEMPORAL_ADDRESS
      ? undefined
      : provisionDevServer({
          ...devServerOptions,
          explicitPath: env.TEMPORAL_CLI_PATH,
          searchPath: env.PATH,
          cacheDir: env.cacheDir,
          onProgress: (line) => log.info(`temporal: ${line}`),
        });
    devServerStarting?.then(
      (server) => stack.push({ name: "temporal dev server", stop: () => server.stop() }),
      () => {},
    );
    const database = await openDatabase(
      env.DATABASE_URL ? { url: env.DATABASE_URL } : { dataDir: join(env.home, "pgdata") },
    );
    stack.push({ name: "database", stop: () => database.close() });
    await migrate(database);
    const workspaceNote = await bootstrapWorkspace(env, database.db, options.terminal);
    const devServer: ProvisionedDevServer | undefined = await devServerStarting;
    // Calls that need Temporal fail fast while it is away (503 from the API), see apps/temporal/gate.ts.
    const gate = createTemporalGate((m) => log.warn(m));
    // Supervised when we run the binary ourselves (not when the SDK downloaded and runs it).
    const { binary, exited } = devServer ?? {};
    if (devServer && binary && exited) {
      const supervised = superviseDevServer({
        first: { ...devServer, exited },
        restart: () => startDevServer({ ...devServerOptions, binary }),
        onExit: () => gate.markDown("the embedded Temporal dev server exited"),
        log,
      });
      stack.push({ name: "temporal dev server supervisor", stop: () => supervised.stop() });
    }
    const address = env.TEMPORAL_ADDRESS ?? devServer?.address ?? "";
    const tls = env.TEMPORAL_TLS || Boolean(env.TEMPORAL_API_KEY);
    const connectionOptions = {
      address,
      tls,
      ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}),
    };

    // The SDK's logs through ours; its metrics on loopback, appended to /metrics (apps/api/metrics.ts).
    // We own the shutdown order (HTTP, worker, connections, server); the SDK must not react to signals itself.
    const temporalMetricsPort = await freePort("127.0.0.1");
    installTemporalRuntime(log, env.LOG_LEVEL, `127.0.0.1:${temporalMetricsPort}`);
    const connection = await Connection.connect({ ...connectionOptions, interceptors: gate.interceptors });
    stack.push({ name: "temporal client", stop: () => connection.close() });
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    const nativeConnection = await NativeConnection.connect(connectionOptions);
    stack.push({ name: "worker connection", stop: () => nativeConnection.close() });

    const fileTemplates = await loadFileTemplates();
    const outboxDir = join(env.home, "outbox");
    const apiUrl = env.VOLANTE_PUBLIC_URL ?? `http://localhost:${env.PORT}`;
    const transport = env.SMTP_URL ? createSmtpTransport(env.SMTP_URL) : undefined;
    // Closed after the worker (the stack stops in reverse): its last sends still have their connections.
    if (transport) stack.push({ name: "smtp", stop: async () => transport.close() });
    // The render threads, likewise closed after the worker's last render.
    const renderer = await loadRenderer();
    stack.push({ name: "renderer", stop: () => renderer.close() });
    // Built once; the API, the worker's activities and the startup work all use these.
    const services: Services = {
      db: database.db,
      client,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      namespace: env.TEMPORAL_NAMESPACE,
      transport,
      outboxDir,
      fileTemplates,
      publicUrl: apiUrl,
      clock: systemClock,
      outbound: { allow: env.VOLANTE_OUTBOUND_ALLOW },
      renderer,
      log,
      metrics,
    };
    const newWorker = () =>
      createWorker({
        ...services,
        connection: nativeConnection,
        maxCachedWorkflows: env.TEMPORAL_MAX_CACHED_WORKFLOWS,
      });
    const worker = keepWorkerRunning({
      first: await newWorker(),
      create: newWorker,
      ready: () => gate.up,
      log,
    });
    stack.push({ name: "worker", stop: () => worker.stop() });
    // Every workspace scores its health on a Schedule, whichever way it was created.
    const scheduled = await ensureHealthSchedules(client, env.TEMPORAL_TASK_QUEUE, database.db, (m) =>
      log.warn(m),
    );
    log.info(`health schedules ensured for ${scheduled} workspace(s)`);

    const deps: AppDeps = {
      ...services,
      metrics,
      temporalMetricsUrl: `http://127.0.0.1:${temporalMetricsPort}/metrics`,
      info: { database: database.driver },
      rateLimits: env.rateLimits,
      trustProxy: env.VOLANTE_TRUST_PROXY,
    };
    const app = createApp(deps);
    // Admin access: the CLI's way in while this process holds the database (loopback + token).
    const adminToken = generateAdminToken();
    app.route("/admin", adminRouter({ token: adminToken, migrate: () => migrate(database) }));
    // What was kept while Temporal was away is handed to it now, and again each time it comes back:
    // events not yet routed (or whose routing run failed), and enrollments whose run never started.
    const catchUp = async () => {
      try {
        for (const workspaceId of await workspacesWithUnroutedEvents(database.db))
          await startRouting(deps, workspaceId, []);
        const started = await startAwaitingRuns(deps);
        if (started > 0) log.info(`started ${started} enrollment run(s) triggered while Temporal was away`);
      } catch (err) {
        log.warn("catching up with Temporal failed; tried again when it comes back", { error: err });
      }
    };
    await catchUp();
    const unwatch = gate.watch(connection, catchUp);
    stack.push({ name: "temporal probe", stop: unwatch });
    const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: env.PORT }, () => resolve(s));
      s.once("error", reject);
    });
    stack.push({
      name: "http server",
      stop: () => closeHttp(server),
    });
    // Admin access: published once the server answers, withdrawn first at stop.
    await writeAdminAccess(env.home, adminToken, (server.address() as AddressInfo).port);
    stack.push({ name: "admin access", stop: () => removeAdminAccess(env.home) });

    const health = await checkReadiness(deps);
    const ms = Math.round(performance.now() - startedAt);
    print("");
    print(`Volante is running (${health.status} in ${ms} ms)`);
    print(`  API           ${apiUrl}`);
    print(`  API docs      ${apiUrl}/docs`);
    print(`  Console       ${apiUrl}/app`);
    for (const line of await firstAdminLines(database.db)) print(line);
    print(`  Health        ${apiUrl}/healthz`);
    print(`  Temporal      ${address} (namespace ${env.TEMPORAL_NAMESPACE})`);
    if (devServer?.uiUrl) print(`  Temporal UI   ${devServer.uiUrl}`);
    print(
      `  Database      ${database.driver === "pglite" ? `PGlite in ${join(env.home, "pgdata")}` : "PostgreSQL (DATABASE_URL)"}`,
    );
    print(
      env.SMTP_URL
        ? `  Email         SMTP ${new URL(env.SMTP_URL).host}`
        : `  Email         dev outbox in ${outboxDir} (GET /v1/outbox)`,
    );
    for (const line of workspaceNote) print(line);
    print("Press Ctrl-C to stop.");
    return { stop, apiUrl };
  } catch (err) {
    await stop();
    // A dev server still booting when something else failed is stopped too (stop() is idempotent).
    await devServerStarting?.then((server) => server.stop()).catch(() => {});
    throw err;
  }
}

/** How long requests in flight get to finish at stop before their connections are closed. */
const httpDrainMs = 3_000;

/** Stops accepting, lets requests in flight finish for up to `httpDrainMs`, then closes what is left. */
async function closeHttp(server: ReturnType<typeof serve>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const timer = setTimeout(() => (server as Server).closeAllConnections(), httpDrainMs);
  await closed;
  clearTimeout(timer);
}

/**
 * One Volante per state directory: PGlite's files must never have two writers. Returns the release,
 * which also runs on `process.exit` (a forced second Ctrl-C), so no pid file outlives the process.
 */
async function claimHome(home: string): Promise<() => void> {
  const pidFile = join(home, "volante.pid");
  const previous = Number.parseInt(await readFile(pidFile, "utf8").catch(() => ""), 10);
  if (previous && previous !== process.pid && (await stillAlive(previous, 3_000))) {
    throw new Error(
      `Volante is already running on ${home} (pid ${previous}). Stop it first, or set VOLANTE_HOME.`,
    );
  }
  await writeFile(pidFile, `${process.pid}\n`);
  const release = () => {
    process.off("exit", release);
    // Synchronous: it may run in the exit event. Only our own claim is removed.
    try {
      if (readFileSync(pidFile, "utf8").trim() === String(process.pid)) rmSync(pidFile, { force: true });
    } catch {
      // Already gone.
    }
  };
  process.on("exit", release);
  return release;
}

/** Until someone can sign in to the console, how to make its first admin (the CLI prints their set-password link). */
async function firstAdminLines(db: Parameters<typeof countPeople>[0]): Promise<string[]> {
  if ((await countPeople(db)) > 0) return [];
  return [
    "                no one can sign in yet; make yourself its admin (prints a link to set your password):",
    '                npm run volante -- users create --email you@example.com --name "Your Name" --role admin',
  ];
}

async function bootstrapWorkspace(
  env: Env,
  db: Parameters<typeof countWorkspaces>[0],
  terminal: boolean,
): Promise<string[]> {
  if (env.VOLANTE_API_KEY) {
    const ensured = await ensureWorkspaceForKey(db, env.VOLANTE_API_KEY);
    if (!ensured.ok) throw new Error(ensured.reason);
    const note = ensured.created
      ? " (workspace created)"
      : ensured.attached
        ? " (added to the existing workspace)"
        : "";
    return [`  API key       from VOLANTE_API_KEY${note}`];
  }
  if ((await countWorkspaces(db)) > 0) {
    return [
      `  API key       the first start's is in ${firstKeyFile(env.home)}; make another with \`npm run volante -- keys create --name <name>\``,
    ];
  }
  const apiKey = generateApiKey();
  await keepFirstKey(env.home, apiKey);
  await createWorkspace(db, "Default", apiKey);
  return firstKeyLines(env.home, apiKey, terminal);
}
