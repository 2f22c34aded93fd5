import { Command } from "commander";
import type { Database } from "../../db/client";
import { createWorkspace } from "../core/workspace/api-keys";
import { loadEnv } from "../env";
import { createLogger, defaultLogFormat } from "../logger";
import { formatResolutionFailure, resolveTemporalCli, resolveTestServer } from "../temporal/binaries";
import { registerJourneyCommands } from "./journeys";
import { openStateDatabase, registerKeyCommands } from "./keys";
import { registerWorkspaceCommands } from "./workspace";

const program = new Command()
  .name("volante")
  .description("Volante: customer engagement journeys for Customer Success teams, on Temporal.");

program
  .command("start")
  .description("run the API, the worker and (unless TEMPORAL_ADDRESS is set) an embedded Temporal dev server")
  .action(async () => {
    const env = loadEnv();
    const log = createLogger(
      env.LOG_LEVEL,
      undefined,
      env.LOG_FORMAT ?? defaultLogFormat(process.stderr.isTTY),
    );
    const print = (line: string) => process.stdout.write(`${line}\n`);
    // Loaded on demand: the Temporal SDK is heavy, and the offline commands do not need it.
    const { start } = await import("./start");
    const running = await start(env, log, print, { terminal: process.stdout.isTTY === true });
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) {
        print(`${signal} again: exiting now.`);
        process.exit(130);
      }
      stopping = true;
      print(`\n${signal}: stopping Volante…`);
      await running.stop();
      print("Stopped.");
      process.exit(0);
    };
    process.on("SIGINT", () => void shutdown("SIGINT"));
    process.on("SIGTERM", () => void shutdown("SIGTERM"));
  });

program
  .command("migrate")
  .description("apply the database migrations and exit")
  .action(async () => {
    const database = await openStateDatabase();
    await database.close();
    process.stdout.write("Database is up to date.\n");
  });

const workspaces = program.command("workspaces").description("manage workspaces");
workspaces
  .command("create <name>")
  .description("create a workspace and print its admin API key (shown once)")
  .action(async (name: string) => {
    const database = await openStateDatabase();
    const { workspaceId, apiKey } = await createWorkspace(database.db, name);
    process.stdout.write(`Workspace ${workspaceId}\nAPI key ${apiKey}\n`);
    process.stdout.write(`${await scheduleHealth(loadEnv(), database.db)}\n`);
    await database.close();
  });

/** A new workspace's health Schedule, when Temporal answers now; else `npm start` creates it. */
async function scheduleHealth(env: ReturnType<typeof loadEnv>, db: Database["db"]): Promise<string> {
  const { Client, Connection } = await import("@temporalio/client");
  const { ensureHealthSchedules } = await import("../core/health/schedules");
  const address = env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.TEMPORAL_PORT}`;
  try {
    const connection = await Connection.connect({
      address,
      tls: env.TEMPORAL_TLS || Boolean(env.TEMPORAL_API_KEY),
      ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}),
      connectTimeout: "2 seconds",
    });
    try {
      const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
      await ensureHealthSchedules(client, env.TEMPORAL_TASK_QUEUE, db);
      return "Health Schedule created.";
    } finally {
      await connection.close();
    }
  } catch {
    return `Temporal is not reachable at ${address}: the health Schedule is created at the next \`npm start\`.`;
  }
}

const temporal = program.command("temporal").description("Temporal binaries");
temporal
  .command("fetch")
  .description(
    "find or download the Temporal dev server and test server into the cache, and print their paths",
  )
  .action(async () => {
    const env = loadEnv();
    const onProgress = (line: string) => process.stderr.write(`${line}\n`);
    const common = { searchPath: env.PATH, cacheDir: env.cacheDir, onProgress };
    const cli = await resolveTemporalCli({ ...common, explicitPath: env.TEMPORAL_CLI_PATH });
    const testServer = await resolveTestServer({ ...common, explicitPath: env.TEMPORAL_TEST_SERVER_PATH });
    let failed = false;
    for (const [kind, result] of [
      ["cli", cli],
      ["test-server", testServer],
    ] as const) {
      if (result.ok) process.stdout.write(`${kind}: ${result.path} (${result.source})\n`);
      else {
        failed = true;
        process.stderr.write(`${formatResolutionFailure(kind, result.looked)}\n`);
      }
    }
    process.exitCode = failed ? 1 : 0;
  });

const io = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
};
registerJourneyCommands(program, io);
registerKeyCommands(program, io);
registerWorkspaceCommands(program, io);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`volante: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
