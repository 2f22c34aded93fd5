import { openDatabase } from "../../db/client";
import { migrate } from "../../db/migrate";

/** `volante migrate` on PostgreSQL: one connection, the migrations under the startup lock, closed. */
export async function migrateServer(url: string): Promise<void> {
  const database = await openDatabase({ url, max: 1 });
  try {
    await migrate(database);
  } finally {
    await database.close();
  }
}
