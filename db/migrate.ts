import { fileURLToPath } from "node:url";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { Database } from "./client";

export const migrationsFolder = fileURLToPath(new URL("./migrations", import.meta.url));

/** The advisory lock every starting process takes for the migrations and the first-start work after them. */
export const STARTUP_LOCK = 7311990;

/**
 * Applies the committed SQL migrations; safe on every start and from several processes at once.
 * `thenWhileLocked` (a first start's workspace bootstrap) runs before the lock is released, so
 * processes starting together on an empty database do it one after another, never side by side.
 */
export async function migrate<T = void>(
  database: Database,
  thenWhileLocked?: () => Promise<T>,
): Promise<T | undefined> {
  if (database.driver === "pglite") {
    if (!database.pglite) throw new Error("migrate: a pglite database needs its instance");
    // One process per PGlite directory (apps/cli/start.ts claims it): nothing to lock against.
    await migratePglite(drizzlePglite(database.pglite), { migrationsFolder });
    return thenWhileLocked?.();
  }
  if (!database.url) throw new Error("migrate: a postgres database needs its url");
  // One dedicated connection holds a session lock; the work itself may use the pool meanwhile.
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${STARTUP_LOCK})`;
    await migratePostgres(drizzlePostgres(sql), { migrationsFolder });
    const result = await thenWhileLocked?.();
    await sql`select pg_advisory_unlock(${STARTUP_LOCK})`;
    return result;
  } finally {
    // Ending the session releases the lock too, when the work above threw.
    await sql.end({ timeout: 5 });
  }
}
