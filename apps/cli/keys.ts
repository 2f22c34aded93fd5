import type { Command } from "commander";
import { type Database, openDatabase } from "../../db/client";
import { migrate } from "../../db/migrate";
import { createKey, listApiKeys, revokeKey } from "../core/workspace/api-keys";
import { loadEnv } from "../env";

type Out = { out: (line: string) => void; err: (line: string) => void };

/** The state directory's database (or DATABASE_URL), migrated; Volante itself must not be running on PGlite. */
export async function openStateDatabase(): Promise<Database> {
  const env = loadEnv();
  const database = await openDatabase(
    env.DATABASE_URL ? { url: env.DATABASE_URL } : { dataDir: `${env.home}/pgdata` },
  );
  await migrate(database);
  return database;
}

async function withDatabase(run: (database: Database) => Promise<void>): Promise<void> {
  const database = await openStateDatabase();
  try {
    await run(database);
  } finally {
    await database.close();
  }
}

/** `volante keys list|create|revoke`: API keys of the workspaces (the secret is shown once, at create). */
export function registerKeyCommands(program: Command, io: Out): void {
  const keys = program.command("keys").description("manage API keys");

  keys
    .command("list")
    .description("every key: id, workspace, name, prefix, created, revoked")
    .option("--workspace <id>", "only this workspace's keys")
    .action((options: { workspace?: string }) =>
      withDatabase(async ({ db }) => {
        for (const k of await listApiKeys(db, options.workspace)) {
          const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : "active";
          io.out(`${k.id}  ${k.prefix}…  ${k.name}  workspace ${k.workspaceId} (${k.workspace})  ${state}`);
        }
      }),
    );

  keys
    .command("create")
    .description("create a key and print it (shown once)")
    .option("--workspace <id>", "the workspace (default: the only one)")
    .option("--name <name>", "what the key is for", "cli")
    .action((options: { workspace?: string; name: string }) =>
      withDatabase(async ({ db }) => {
        const created = await createKey(db, options.name, options.workspace);
        if (!created.ok) {
          io.err(`volante: ${created.reason}: name one with --workspace <id> (see \`volante keys list\`)`);
          process.exitCode = 1;
          return;
        }
        io.out(`Key ${created.keyId} for workspace ${created.workspaceId}\nAPI key ${created.apiKey}`);
      }),
    );

  keys
    .command("revoke <key-or-id>")
    .description("revoke a key, named by its id or by the key itself; requests with it get 401 from then on")
    .action((keyOrId: string) =>
      withDatabase(async ({ db }) => {
        const result = await revokeKey(db, keyOrId, new Date());
        if (!result.ok) {
          io.err(`volante: cannot revoke: ${result.reason}`);
          process.exitCode = 1;
          return;
        }
        io.out(`Revoked key ${result.keyId} of workspace ${result.workspaceId}`);
      }),
    );
}
