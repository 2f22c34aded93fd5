import { fileURLToPath } from "node:url";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { Database } from "./client";

export const migrationsFolder = fileURLToPath(new URL("./migrations", import.meta.url));

/** Applies the committed SQL migrations; safe on every start and from several processes at once. */
export async function migrate(database: Database): Promise<void> {
  if (database.driver === "pglite") {
    if (!database.pglite) throw new Error("migrate: a pglite database needs its instance");
    await migratePglite(drizzlePglite(database.pglite), { migrationsFolder });
    return;
  }
  if (!database.url) throw new Error("migrate: a postgres database needs its url");
  // One dedicated connection holds an advisory lock so concurrent starters never race.
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(7311990)`;
    await migratePostgres(drizzlePostgres(sql), { migrationsFolder });
    await sql`select pg_advisory_unlock(7311990)`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
