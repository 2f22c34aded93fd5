import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema";

export type Schema = typeof schema;
/** The one database type the rest of the code sees, whichever driver is underneath. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  driver: "pglite" | "postgres";
  /** The server URL when driver is postgres. */
  url?: string;
  /** The embedded instance when driver is pglite. */
  pglite?: PGlite;
  close(): Promise<void>;
}

export type DatabaseOptions =
  /** A PostgreSQL server through postgres.js. */
  | { url: string; max?: number }
  /** Embedded PGlite: a directory, or in memory when omitted. */
  | { dataDir?: string };

/** Opens the database: PostgreSQL when a URL is given, otherwise embedded PGlite. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if ("url" in options) {
    const sql = postgres(options.url, { max: options.max ?? 10, onnotice: () => {} });
    const db = drizzlePostgres(sql, { schema, casing: "snake_case" }) as unknown as Db;
    return { db, driver: "postgres", url: options.url, close: () => sql.end({ timeout: 5 }) };
  }
  const client = await PGlite.create(options.dataDir);
  const db = drizzlePglite(client, { schema, casing: "snake_case" }) as unknown as Db;
  return { db, driver: "pglite", pglite: client, close: () => client.close() };
}
