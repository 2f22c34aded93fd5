import { and, asc, eq, ne } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, escalations } from "../../../db/schema/index";
import { type Escalation, toEscalation } from "./queries";

/** An account's escalations not yet resolved, most urgent deadline first (at most 50). */
export async function openAccountEscalations(
  db: Db,
  workspaceId: string,
  accountId: string,
): Promise<Escalation[]> {
  const rows = await db
    .select({ x: escalations, account: accounts.externalId })
    .from(escalations)
    .innerJoin(accounts, eq(accounts.id, escalations.accountId))
    .where(
      and(
        eq(escalations.workspaceId, workspaceId),
        eq(escalations.accountId, accountId),
        ne(escalations.status, "resolved"),
      ),
    )
    .orderBy(asc(escalations.dueAt), asc(escalations.id))
    .limit(50);
  return rows.map(toEscalation);
}
