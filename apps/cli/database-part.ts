import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Database, openDatabase } from "../../db/client";
import { migrate } from "../../db/migrate";
import {
  countWorkspaces,
  createWorkspace,
  ensureWorkspaceForKey,
  generateApiKey,
} from "../core/workspace/api-keys";
import { countPeople } from "../core/workspace/users";
import type { Env } from "../env";
import { firstKeyFile, firstKeyLines, keepFirstKey } from "./first-key";
import type { Stack } from "./stack";

/** The database from the environment (PostgreSQL with DATABASE_URL, else PGlite under the home), closed by the stack. */
export async function openProcessDatabase(env: Env, stack: Stack): Promise<Database> {
  const database = await openDatabase(
    env.DATABASE_URL ? { url: env.DATABASE_URL } : { dataDir: join(env.home, "pgdata") },
  );
  stack.push("database", () => database.close());
  return database;
}

/**
 * Migrates and makes sure a workspace exists (the first, or `VOLANTE_API_KEY`'s), both under the
 * startup lock (db/migrate.ts): processes starting together on an empty database make one
 * workspace, and none dies on the key they both add. Returns what to print about the key.
 */
export async function migrateAndBootstrap(
  env: Env,
  database: Database,
  terminal: boolean,
): Promise<string[]> {
  return (await migrate(database, () => bootstrapWorkspace(env, database.db, terminal))) ?? [];
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
  // `volante api` on PostgreSQL claims no home, so it may not exist yet.
  await mkdir(env.home, { recursive: true });
  await keepFirstKey(env.home, apiKey);
  await createWorkspace(db, "Default", apiKey);
  return firstKeyLines(env.home, apiKey, terminal);
}

/** Until someone can sign in to the console, how to make its first admin (the CLI prints their set-password link). */
export async function firstAdminLines(db: Parameters<typeof countPeople>[0]): Promise<string[]> {
  if ((await countPeople(db)) > 0) return [];
  return [
    "                no one can sign in yet; make yourself its admin (prints a link to set your password):",
    '                npm run volante -- users create --email you@example.com --name "Your Name" --role admin',
  ];
}
