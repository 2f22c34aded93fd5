import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { csms, escalations } from "../../../db/schema/index";
import { Tier } from "../accounts/accounts";

export const CsmInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200).nullable().optional(),
    capacity: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .nullable()
      .optional()
      .meta({ description: "Open escalations at most" }),
    tiers: z.array(Tier).default([]).meta({ description: "Tiers this CSM serves; empty serves every tier" }),
    active: z.boolean().default(true),
  })
  .meta({ id: "CsmInput" });
export type CsmInput = z.infer<typeof CsmInput>;

export const Csm = z
  .object({
    email: z.string(),
    name: z.string().nullable(),
    capacity: z.number().int().nullable(),
    tiers: z.array(z.string()),
    active: z.boolean(),
    openLoad: z.number().int().meta({ description: "Escalations open or acknowledged" }),
  })
  .meta({ id: "Csm" });
export type Csm = z.infer<typeof Csm>;

// Qualified by hand: drizzle writes a single-table query's columns without their table, and inside
// this subquery an unqualified "workspace_id" is the escalation's own, which scoped nothing.
const openLoad = sql<number>`(select count(*)::int from ${escalations} e where e.workspace_id = "csms"."workspace_id" and e.assignee = "csms"."email" and e.status in ('open', 'acknowledged'))`;

export async function upsertCsm(db: Db, workspaceId: string, email: string, input: CsmInput): Promise<Csm> {
  const values = {
    name: input.name ?? null,
    capacity: input.capacity ?? null,
    tiers: input.tiers,
    active: input.active,
  };
  await db
    .insert(csms)
    .values({ workspaceId, email, ...values })
    .onConflictDoUpdate({
      target: [csms.workspaceId, csms.email],
      set: { ...values, updatedAt: new Date() },
    });
  const [csm] = await listCsms(db, workspaceId, email);
  if (!csm) throw new Error("csm upsert returned nothing");
  return csm;
}

export async function listCsms(db: Db, workspaceId: string, email?: string): Promise<Csm[]> {
  const rows = await db
    .select({
      email: csms.email,
      name: csms.name,
      capacity: csms.capacity,
      tiers: csms.tiers,
      active: csms.active,
      openLoad,
    })
    .from(csms)
    .where(and(eq(csms.workspaceId, workspaceId), email ? eq(csms.email, email) : undefined))
    .orderBy(asc(csms.email));
  return rows.map((r) => ({ ...r, openLoad: Number(r.openLoad) }));
}

/** Active CSMs of the workspace who serve the tier (no tiers listed: every tier). */
const servingTier = (workspaceId: string, tier: string) =>
  and(
    eq(csms.workspaceId, workspaceId),
    eq(csms.active, true),
    sql`(jsonb_array_length(${csms.tiers}) = 0 or ${csms.tiers} ? ${tier})`,
  );

/**
 * Capacity-aware round robin: among active CSMs serving the tier with room left, the one with the
 * smallest open load, then the one assigned longest ago. Call it inside the transaction that inserts
 * the escalation, after `lockAssignments`: the per-workspace lock serialises concurrent assignments,
 * so capacity holds however many escalations arrive at once. Null when nobody has room.
 */
export async function pickCsm(tx: Db, workspaceId: string, tier: string): Promise<string | null> {
  const candidates = await tx
    .select({ id: csms.id, email: csms.email, capacity: csms.capacity, openLoad })
    .from(csms)
    .where(servingTier(workspaceId, tier))
    .orderBy(asc(openLoad), sql`${csms.lastAssignedAt} asc nulls first`, asc(csms.email));
  const chosen = candidates.find((c) => c.capacity === null || Number(c.openLoad) < c.capacity);
  if (!chosen) return null;
  await tx.update(csms).set({ lastAssignedAt: new Date() }).where(eq(csms.id, chosen.id));
  return chosen.email;
}

/**
 * Whether an active CSM serves the tier at all. Without one there is nobody to pick, so callers skip
 * the workspace's assignment lock: escalations of a workspace without CSMs never queue on it.
 */
export async function anyCsmServes(db: Db, workspaceId: string, tier: string): Promise<boolean> {
  const [row] = await db.select({ id: csms.id }).from(csms).where(servingTier(workspaceId, tier)).limit(1);
  return row !== undefined;
}

export async function lockAssignments(tx: Db, workspaceId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`assign:${workspaceId}`}))`);
}
