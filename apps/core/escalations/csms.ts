import { and, asc, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { csms } from "../../../db/schema/index";
import { Tier } from "../accounts/accounts";
import { openLoad } from "./assign";

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

export async function upsertCsm(
  db: Db,
  workspaceId: string,
  email: string,
  input: CsmInput,
  at: Date,
): Promise<Csm> {
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
      set: { ...values, updatedAt: at },
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
