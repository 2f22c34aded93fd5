import { readFileSync, rmSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { migrate } from "../../db/migrate";
import { createApp } from "../api/app";
import { adminRouter } from "../api/routes/admin";
import { checkReadiness } from "../core/shared/readiness";
import type { Env } from "../env";
import type { Logger } from "../logger";
import { startDevServer } from "../temporal/dev-server";
import { createTemporalGate } from "../temporal/gate";
import { type ProvisionedDevServer, provisionDevServer } from "../temporal/provision";
import { parseServerLine } from "../temporal/server-log";
import { superviseDevServer } from "../temporal/supervisor";
import { generateAdminToken, removeAdminAccess, writeAdminAccess } from "./admin-access";
import { firstAdminLines, migrateAndBootstrap, openProcessDatabase } from "./database-part";
import { apiDeps, listen } from "./http-part";
import { stillAlive } from "./process-alive";
import { buildServices } from "./services-part";
import { createStack } from "./stack";
import { doStartupWork } from "./startup-work";
import { connectTemporal } from "./temporal-part";
import { startWorkerPart } from "./worker-part";

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
  const stack = createStack(log);
  let devServerStarting: Promise<ProvisionedDevServer> | undefined;
  try {
    await mkdir(env.home, { recursive: true });
    const releaseHome = await claimHome(env.home);
    stack.push("lock", async () => releaseHome());
    // Admin access: a killed Volante's token is stale; the CLI must not find one before this one listens.
    await removeAdminAccess(env.home);

    // The dev server boots while the database opens and migrates.
    const devServerOptions = embeddedServerOptions(env, log);
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
      (server) => stack.push("temporal dev server", () => server.stop()),
      () => {},
    );
    const database = await openProcessDatabase(env, stack);
    const workspaceNote = await migrateAndBootstrap(env, database, options.terminal);
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
      stack.push("temporal dev server supervisor", () => supervised.stop());
    }
    const address = env.TEMPORAL_ADDRESS ?? devServer?.address ?? "";
    const temporal = await connectTemporal(env, address, gate, log, stack);
    const services = await buildServices(env, { database, client: temporal.client }, log, stack);
    await startWorkerPart(env, services, temporal, stack);
    const deps = apiDeps(env, services, { database, temporal });
    const app = createApp(deps);
    // Admin access: the CLI's way in while this process holds the database (loopback + token).
    const adminToken = generateAdminToken();
    app.route(
      "/admin",
      adminRouter({
        token: adminToken,
        migrate: async () => {
          await migrate(database);
        },
      }),
    );
    await doStartupWork(deps, temporal, stack);
    const server = await listen(app.fetch, { port: env.PORT }, stack, env.VOLANTE_HTTP_KEEP_ALIVE_SECONDS);
    // Admin access: published once the server answers, withdrawn first at stop.
    await writeAdminAccess(env.home, adminToken, (server.address() as AddressInfo).port);
    stack.push("admin access", () => removeAdminAccess(env.home));

    const health = await checkReadiness(deps);
    const ms = Math.round(performance.now() - startedAt);
    const apiUrl = deps.publicUrl;
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
        : `  Email         dev outbox in ${deps.outboxDir} (GET /v1/outbox)`,
    );
    for (const line of workspaceNote) print(line);
    print("Press Ctrl-C to stop.");
    return { stop: () => stack.stop(), apiUrl };
  } catch (err) {
    await stack.stop();
    // A dev server still booting when something else failed is stopped too (stop() is idempotent).
    await devServerStarting?.then((server) => server.stop()).catch(() => {});
    throw err;
  }
}

/** The embedded dev server's files, ports and logs (the server's warnings are its housekeeping: kept below info). */
function embeddedServerOptions(env: Env, log: Logger) {
  const temporalServerLog = log.child({ component: "temporal-server" });
  return {
    dbFile: join(env.home, "temporal.db"),
    pidFile: join(env.home, "temporal.pid"),
    port: env.TEMPORAL_PORT,
    uiPort: env.TEMPORAL_UI_PORT,
    namespace: env.TEMPORAL_NAMESPACE,
    onLog: (line: string) => {
      const { level, msg, fields } = parseServerLine(line);
      temporalServerLog[level === "error" ? "error" : "debug"](msg, fields);
    },
  };
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
