import { asc, eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts } from "../../../db/schema/index";

/** The workspace's first `limit` account ids, in id order: the population "your accounts" of a simulation. */
export async function firstAccountIds(db: Db, workspaceId: string, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: accounts.externalId })
    .from(accounts)
    .where(eq(accounts.workspaceId, workspaceId))
    .orderBy(asc(accounts.externalId))
    .limit(limit);
  return rows.map((r) => r.id);
}
