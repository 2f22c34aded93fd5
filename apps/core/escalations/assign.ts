import { and, asc, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, csms, escalations } from "../../../db/schema/index";
import { pickFromRoster, type RosterCsm } from "../../../workflows/journey/assignment";

/**
 * Who gets an escalation: capacity-aware round robin among the CSMs serving the account's tier,
 * serialised per workspace by one advisory lock so capacity holds under concurrent escalations.
 */

// Qualified by hand: drizzle writes a single-table query's columns without their table, and inside
// this subquery an unqualified "workspace_id" is the escalation's own, which scoped nothing.
export const openLoad = sql<number>`(select count(*)::int from ${escalations} e where e.workspace_id = "csms"."workspace_id" and e.assignee = "csms"."email" and e.status in ('open', 'acknowledged'))`;

/**
 * The active CSMs of a workspace who serve a tier (no tiers listed: every tier), as a subquery for
 * `exists`: a read that needs to know whether anyone could be picked asks it in the same statement.
 */
export const csmServingSql = (workspaceId: SQL, tier: SQL) =>
  sql`select 1 from ${csms} c where c.workspace_id = ${workspaceId} and c.active
    and (jsonb_array_length(c.tiers) = 0 or c.tiers ? ${tier})`;

/** Active CSMs of the workspace who serve the tier (no tiers listed: every tier). */
const servingTier = (workspaceId: string, tier: string) =>
  and(
    eq(csms.workspaceId, workspaceId),
    eq(csms.active, true),
    sql`(jsonb_array_length(${csms.tiers}) = 0 or ${csms.tiers} ? ${tier})`,
  );

/** The active CSMs serving the tier (every active CSM without one), with their loads: what the shared rule picks from. */
export async function loadRoster(db: Db, workspaceId: string, tier?: string): Promise<RosterCsm[]> {
  const rows = await db
    .select({
      email: csms.email,
      tiers: csms.tiers,
      capacity: csms.capacity,
      openLoad,
      lastAssignedAt: csms.lastAssignedAt,
    })
    .from(csms)
    .where(
      tier === undefined
        ? and(eq(csms.workspaceId, workspaceId), eq(csms.active, true))
        : servingTier(workspaceId, tier),
    );
  return rows.map(({ lastAssignedAt, ...r }) => ({
    ...r,
    openLoad: Number(r.openLoad),
    lastPick: lastAssignedAt?.getTime() ?? null,
  }));
}

/**
 * Capacity-aware round robin (`pickFromRoster`, the rule the simulator uses too). Call it inside the
 * transaction that inserts the escalation, after `lockAssignments`: the per-workspace lock serialises
 * concurrent assignments, so capacity holds however many escalations arrive at once. Null when
 * nobody has room.
 */
export async function pickCsm(tx: Db, workspaceId: string, tier: string, at: Date): Promise<string | null> {
  const chosen = pickFromRoster(await loadRoster(tx, workspaceId, tier), tier);
  if (!chosen) return null;
  await markPicked(tx, workspaceId, chosen.email, at);
  return chosen.email;
}

/** Records a round-robin pick, so the next one goes to someone else. */
export async function markPicked(tx: Db, workspaceId: string, email: string, at: Date): Promise<void> {
  await tx
    .update(csms)
    .set({ lastAssignedAt: at })
    .where(and(eq(csms.workspaceId, workspaceId), eq(csms.email, email)));
}

export async function lockAssignments(tx: Db, workspaceId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`assign:${workspaceId}`}))`);
}

/**
 * Gives unassigned open escalations (most urgent first) to CSMs who have room now, under the
 * workspace's assignment lock. Returns the ids assigned.
 */
export async function assignWaiting(db: Db, workspaceId: string, at: Date, limit = 50): Promise<string[]> {
  return db.transaction(async (tx) => {
    const t = tx as unknown as Db;
    await lockAssignments(t, workspaceId);
    const waiting = await tx
      .select({ id: escalations.id, tier: accounts.tier })
      .from(escalations)
      .innerJoin(accounts, eq(accounts.id, escalations.accountId))
      .where(
        and(
          eq(escalations.workspaceId, workspaceId),
          eq(escalations.status, "open"),
          isNull(escalations.assignee),
        ),
      )
      .orderBy(asc(escalations.dueAt), asc(escalations.id))
      .limit(limit);
    const assigned: string[] = [];
    for (const w of waiting) {
      const assignee = await pickCsm(t, workspaceId, w.tier, at);
      if (!assignee) continue;
      await tx
        .update(escalations)
        .set({ assignee, updatedAt: at })
        .where(and(eq(escalations.id, w.id), isNull(escalations.assignee)));
      assigned.push(w.id);
    }
    return assigned;
  });
}
