import type { Socket } from "node:net";
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

/** A connected socket for postgres.js to use (its untyped `socket` option): a test counts round trips on it. */
export type SocketFactory = () => Socket;

export type DatabaseOptions =
  /** A PostgreSQL server through postgres.js. */
  | { url: string; max?: number; socket?: SocketFactory }
  /** Embedded PGlite: a directory, or in memory when omitted. */
  | { dataDir?: string };

/**
 * Statements with more parameters than this (bulk inserts, whose text varies with their row count)
 * are not kept prepared: each connection would hold one per row count until it is recycled.
 */
const PREPARED_MAX_PARAMETERS = 64;

/**
 * Drizzle runs its queries through postgres.js's `unsafe` unprepared, and postgres.js sends an
 * unprepared statement with parameters in two round trips (parse and describe, then bind and execute).
 * Prepared, a statement is described once per connection and then costs one round trip
 * (docs/decisions/0044-touch-round-trips.md). `?prepare=false` in the URL (PgBouncer in transaction
 * mode) still turns every statement back to unprepared: postgres.js's own option wins.
 */
function preparing(sql: postgres.Sql): postgres.Sql {
  return new Proxy(sql, {
    get(target, key, receiver) {
      if (key === "unsafe")
        return (query: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) =>
          target.unsafe(query, params as postgres.ParameterOrJSON<never>[], {
            ...options,
            prepare: (params?.length ?? 0) <= PREPARED_MAX_PARAMETERS,
          });
      if (key === "begin")
        return (...args: unknown[]) => {
          const run = args.pop() as (tx: postgres.Sql) => unknown;
          return (target.begin as (...a: unknown[]) => unknown)(...args, (tx: postgres.Sql) =>
            run(preparing(tx)),
          );
        };
      return Reflect.get(target, key, receiver);
    },
  });
}

/** Opens the database: PostgreSQL when a URL is given, otherwise embedded PGlite. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if ("url" in options) {
    const sql = postgres(options.url, {
      max: options.max ?? 10,
      onnotice: () => {},
      ...(options.socket ? { socket: options.socket } : {}),
    } as postgres.Options<Record<string, never>>);
    const db = drizzlePostgres(preparing(sql), { schema, casing: "snake_case" }) as unknown as Db;
    return { db, driver: "postgres", url: options.url, close: () => sql.end({ timeout: 5 }) };
  }
  const client = await PGlite.create(options.dataDir);
  const db = drizzlePglite(client, { schema, casing: "snake_case" }) as unknown as Db;
  return { db, driver: "pglite", pglite: client, close: () => client.close() };
}

/**
 * A statement built by drizzle once per database handle, on its first use, then only executed: for
 * the hottest reads, whose SQL building cost more CPU and garbage than the round trip (decision 0045).
 */
export function builtOnce<T>(build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>();
  return (db) => {
    let statement = built.get(db);
    if (!statement) {
      statement = build(db);
      built.set(db, statement);
    }
    return statement;
  };
}
