import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, escalations } from "../../../db/schema/index";

type Tier = (typeof accounts.$inferSelect)["tier"];

/** The statuses that still need someone: open and acknowledged. */
const UNRESOLVED = ["open", "acknowledged"] as const;

export type OpenEscalation = {
  id: string;
  account: { externalId: string; name: string; tier: Tier };
  reason: string;
  priority: (typeof escalations.$inferSelect)["priority"];
  status: (typeof escalations.$inferSelect)["status"];
  assignee: string | null;
  dueAt: Date;
  /** Past its deadline: the SLA check recorded the breach, or the deadline passed before the check ran. */
  breached: boolean;
};

/**
 * Escalations not yet resolved, soonest deadline first: one person's (`assignee`, their email) or
 * the whole workspace's. One query, on the inbox index (workspace, status, due).
 */
export async function openEscalationsByDeadline(
  db: Db,
  workspaceId: string,
  options: { assignee?: string; limit: number },
  now: Date,
): Promise<OpenEscalation[]> {
  const rows = await db
    .select({
      id: escalations.id,
      externalId: accounts.externalId,
      name: accounts.name,
      tier: accounts.tier,
      reason: escalations.reason,
      priority: escalations.priority,
      status: escalations.status,
      assignee: escalations.assignee,
      dueAt: escalations.dueAt,
      breachedAt: escalations.breachedAt,
    })
    .from(escalations)
    .innerJoin(accounts, eq(accounts.id, escalations.accountId))
    .where(
      and(
        eq(escalations.workspaceId, workspaceId),
        inArray(escalations.status, [...UNRESOLVED]),
        options.assignee !== undefined ? eq(escalations.assignee, options.assignee) : undefined,
      ),
    )
    .orderBy(asc(escalations.dueAt), asc(escalations.id))
    .limit(options.limit);
  return rows.map(({ externalId, name, tier, breachedAt, ...r }) => ({
    ...r,
    account: { externalId, name, tier },
    breached: breachedAt !== null || r.dueAt.getTime() <= now.getTime(),
  }));
}

/** A workspace's unresolved escalations counted by account tier, with how many are past their deadline. */
export async function openEscalationCountsByTier(
  db: Db,
  workspaceId: string,
  now: Date,
): Promise<{ tier: Tier; open: number; breached: number }[]> {
  const rows = await db
    .select({
      tier: accounts.tier,
      open: sql<number>`count(*)::int`,
      breached: sql<number>`(count(*) filter (where ${escalations.breachedAt} is not null or ${escalations.dueAt} <= ${now.toISOString()}::timestamptz))::int`,
    })
    .from(escalations)
    .innerJoin(accounts, eq(accounts.id, escalations.accountId))
    .where(and(eq(escalations.workspaceId, workspaceId), inArray(escalations.status, [...UNRESOLVED])))
    .groupBy(accounts.tier)
    .orderBy(asc(accounts.tier));
  return rows.map((r) => ({ tier: r.tier, open: Number(r.open), breached: Number(r.breached) }));
}
