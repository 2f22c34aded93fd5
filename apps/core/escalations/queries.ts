import { and, asc, eq, ne, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { accounts, escalationPriorities, escalationStatuses, escalations } from "../../../db/schema/index";
import { isUuid } from "../shared/uuid";

/**
 * Escalations: accounts a journey hands to a human CSM. The record as the API shows it, and the
 * CSM inbox. Opening one is open.ts, who gets it assign.ts, its deadline sla.ts, what the CSM does
 * with it actions.ts, and who is told notify.ts.
 */

export const Escalation = z
  .object({
    id: z.string(),
    account: z.string(),
    enrollmentId: z.string(),
    stepId: z.string(),
    reason: z.string(),
    priority: z.enum(escalationPriorities),
    sla: z.string(),
    dueAt: z.string(),
    assignee: z.string().nullable(),
    holdsJourney: z.boolean(),
    status: z.enum(escalationStatuses),
    outcome: z.enum(["resume", "exit"]).nullable(),
    resolution: z.string().nullable(),
    notes: z.string().nullable(),
    createdAt: z.string(),
    acknowledgedAt: z.string().nullable(),
    resolvedAt: z.string().nullable(),
  })
  .meta({ id: "Escalation" });
export type Escalation = z.infer<typeof Escalation>;

export type EscalationRow = { x: typeof escalations.$inferSelect; account: string };

export function toEscalation({ x, account }: EscalationRow): Escalation {
  return {
    id: x.id,
    account,
    enrollmentId: x.enrollmentId,
    stepId: x.stepId,
    reason: x.reason,
    priority: x.priority,
    sla: x.sla,
    dueAt: x.dueAt.toISOString(),
    assignee: x.assignee,
    holdsJourney: x.holdsJourney,
    status: x.status,
    outcome: x.outcome,
    resolution: x.resolution,
    notes: x.notes,
    createdAt: x.createdAt.toISOString(),
    acknowledgedAt: x.acknowledgedAt?.toISOString() ?? null,
    resolvedAt: x.resolvedAt?.toISOString() ?? null,
  };
}

export const EscalationListQuery = z.object({
  status: z.enum(escalationStatuses).optional(),
  assignee: z.string().max(254).optional(),
  priority: z.enum(escalationPriorities).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** The CSM inbox: most urgent deadline first. */
export async function listEscalations(
  db: Db,
  workspaceId: string,
  query: z.infer<typeof EscalationListQuery>,
) {
  const rows = await db
    .select({ x: escalations, account: accounts.externalId })
    .from(escalations)
    .innerJoin(accounts, eq(accounts.id, escalations.accountId))
    .where(
      and(
        eq(escalations.workspaceId, workspaceId),
        query.status ? eq(escalations.status, query.status) : undefined,
        query.assignee ? eq(escalations.assignee, query.assignee) : undefined,
        query.priority ? eq(escalations.priority, query.priority) : undefined,
      ),
    )
    .orderBy(asc(escalations.dueAt), asc(escalations.id))
    .limit(query.limit);
  return rows.map(toEscalation);
}

export async function getEscalation(db: Db, workspaceId: string, id: string): Promise<Escalation | null> {
  if (!isUuid(id)) return null;
  const [row] = await db
    .select({ x: escalations, account: accounts.externalId })
    .from(escalations)
    .innerJoin(accounts, eq(accounts.id, escalations.accountId))
    .where(and(eq(escalations.workspaceId, workspaceId), eq(escalations.id, id)));
  return row ? toEscalation(row) : null;
}

/**
 * Escalations not yet resolved across every workspace, by account tier and whether their SLA is
 * breached: the operator's gauge (/metrics), one grouped query at scrape time.
 */
export async function openEscalationCounts(
  db: Db,
): Promise<{ tier: string; breached: boolean; count: number }[]> {
  const breached = sql<boolean>`${escalations.breachedAt} is not null`;
  const rows = await db
    .select({ tier: accounts.tier, breached, count: sql<number>`count(*)::int` })
    .from(escalations)
    .innerJoin(accounts, eq(accounts.id, escalations.accountId))
    .where(ne(escalations.status, "resolved"))
    .groupBy(accounts.tier, breached);
  return rows.map((r) => ({ tier: r.tier, breached: Boolean(r.breached), count: Number(r.count) }));
}
