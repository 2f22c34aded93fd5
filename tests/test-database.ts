import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { inject } from "vitest";
import { type Database, openDatabase } from "../db/client";
import { migrate } from "../db/migrate";

/**
 * The database every test file uses: the server in DATABASE_URL, else its own in-memory PGlite.
 * `own` gives a file a server database of its own (made, migrated, dropped at close), for what is
 * counted across workspaces (the open-escalations gauge) while other files write beside it.
 */
export async function openTestDatabase(options: { own?: boolean } = {}): Promise<Database> {
  const url = inject("databaseUrl");
  if (!url) {
    const database = await openDatabase({});
    await migrate(database);
    return database;
  }
  if (!options.own) return openDatabase({ url, max: 5 }); // migrated once by the global setup
  const fresh = await freshServerDatabase("own");
  const database = await openDatabase({ url: fresh.url, max: 5 });
  await migrate(database);
  return {
    ...database,
    async close() {
      await database.close();
      await fresh.drop();
    },
  };
}

/** The PostgreSQL server the suite uses (DATABASE_URL's), else the local one, at its `postgres` database. */
export function serverAdminUrl(): string {
  const url = new URL(inject("databaseUrl") ?? "postgres://postgres@127.0.0.1:5432/postgres");
  url.pathname = "/postgres";
  return url.toString();
}

/** A fresh, empty database on that server; fails loudly when the server cannot be reached. */
export async function freshServerDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = serverAdminUrl();
  const name = `volante_${label}_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = () => postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  const sql = admin();
  try {
    await sql.unsafe(`create database ${name}`);
  } catch (err) {
    throw new Error(
      `the tests need a PostgreSQL server they may create databases on (${adminUrl}): ${(err as Error).message}`,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const sql = admin();
      try {
        await sql.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
}
