import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { type Database, openDatabase } from "../db/client";
import { migrationsFolder } from "../db/migrate";

/**
 * An embedded database migrated up to, not including, the migration `tag`: data can then be stored as
 * the previous version kept it, and the test runs `migrate` to see what the migration makes of it.
 * `close` also removes the copy of the migrations it ran from.
 */
export async function databaseBefore(tag: string): Promise<{ database: Database; close(): Promise<void> }> {
  const database = await openDatabase({});
  const before = mkdtempSync(join(tmpdir(), "volante-migrations-"));
  const close = async () => {
    await database.close();
    rmSync(before, { recursive: true, force: true });
  };
  cpSync(migrationsFolder, before, { recursive: true });
  const journalPath = join(before, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as {
    entries: { idx: number; tag: string }[];
  };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  if (at <= 0 || !database.pglite) {
    await close();
    throw new Error(
      at <= 0 ? `no migration "${tag}" after the first one` : "an embedded database was expected",
    );
  }
  journal.entries = journal.entries.slice(0, at);
  writeFileSync(journalPath, JSON.stringify(journal));
  await migratePglite(drizzle(database.pglite), { migrationsFolder: before });
  return { database, close };
}
