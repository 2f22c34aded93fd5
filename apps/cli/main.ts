import { readFileSync } from "node:fs";
import { Command } from "commander";
import { type Env, loadEnv } from "../env";
import { createLogger, defaultLogFormat, type Logger } from "../logger";
import { formatResolutionFailure, resolveTemporalCli, resolveTestServer } from "../temporal/binaries";
import { registerApplyCommand } from "./apply";
import { registerJourneyCommands } from "./journeys";
import { registerKeyCommands, withStateStore } from "./keys";
import { migrateServer } from "./migrate-server";
import { stopOnSignals } from "./signals";
import { registerUserCommands } from "./users";
import { registerWorkspaceCommands } from "./workspace";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command()
  .name("volante")
  .description("Volante: customer engagement journeys for Customer Success teams, on Temporal.")
  .version(version, "-V, --version", "print the version");

/**
 * Runs a long-lived process (`start`, `api`, `worker`) until SIGINT or SIGTERM. Listening before the
 * start finishes: a Ctrl-C while booting stops cleanly once it is up.
 */
async function runUntilSignalled(
  boot: (
    env: Env,
    log: Logger,
    print: (line: string) => void,
    terminal: boolean,
  ) => Promise<{ stop(): Promise<void> }>,
): Promise<void> {
  const env = loadEnv();
  const log = createLogger(
    env.LOG_LEVEL,
    undefined,
    env.LOG_FORMAT ?? defaultLogFormat(process.stderr.isTTY),
  );
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const starting = boot(env, log, print, process.stdout.isTTY === true);
  stopOnSignals({ stop: async () => (await starting).stop(), print, exit: (code) => process.exit(code) });
  await starting;
}

// Loaded on demand: the Temporal SDK is heavy, and the offline commands do not need it.
program
  .command("start")
  .description("run the API, the worker and (unless TEMPORAL_ADDRESS is set) an embedded Temporal dev server")
  .action(() =>
    runUntilSignalled(async (env, log, print, terminal) =>
      (await import("./start")).start(env, log, print, { terminal }),
    ),
  );

program
  .command("api")
  .description(
    "run the HTTP API only (several behind a load balancer); needs DATABASE_URL, TEMPORAL_ADDRESS, VOLANTE_PUBLIC_URL, SMTP_URL",
  )
  .action(() =>
    runUntilSignalled(async (env, log, print, terminal) =>
      (await import("./roles")).startApi(env, log, print, terminal),
    ),
  );

program
  .command("worker")
  .description(
    "run the Temporal worker only (as many as needed), with /healthz and /metrics on VOLANTE_WORKER_HOST:VOLANTE_WORKER_PORT",
  )
  .action(() =>
    runUntilSignalled(async (env, log, print) => (await import("./roles")).startWorker(env, log, print)),
  );

program
  .command("migrate")
  .description(
    "apply the database migrations and exit (on PostgreSQL directly, under the startup lock; else through a running Volante when there is one)",
  )
  .action(async () => {
    const env = loadEnv();
    if (env.DATABASE_URL) {
      await migrateServer(env.DATABASE_URL);
      process.stdout.write("Database is up to date (PostgreSQL, DATABASE_URL).\n");
      return;
    }
    await withStateStore(async (store) => {
      await store.migrate();
      process.stdout.write(`Database is up to date (${store.via}).\n`);
    });
  });

const workspaces = program.command("workspaces").description("manage workspaces");
workspaces
  .command("create <name>")
  .description(
    "create a workspace and print its admin API key (shown once); usable at once by a running Volante",
  )
  .action((name: string) =>
    withStateStore(async (store) => {
      const { workspaceId, apiKey, schedule } = await store.createWorkspace(name);
      process.stdout.write(`Workspace ${workspaceId}\nAPI key ${apiKey}\n${schedule}\n`);
    }),
  );

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
registerApplyCommand(program, io);
registerKeyCommands(program, io);
registerUserCommands(program, io);
registerWorkspaceCommands(program, io);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`volante: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
