import { and, asc, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { csms } from "../../../db/schema/index";
import { Tier } from "../accounts/accounts";
import { TimeZone } from "../shared/validators";
import { openLoad } from "./assign";

/** The languages the CSM's escalation email is written in (templates/notifications/csm-escalation). */
export const CsmLocale = z.enum(["en", "ja"]);

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
    locale: CsmLocale.nullable()
      .optional()
      .meta({ description: "Language of the CSM's escalation emails; null or absent: `en`" }),
    timezone: TimeZone.nullable().optional().meta({
      description:
        "IANA zone of every time in the CSM's escalation emails; null or absent: settings `delivery.defaultTimezone`",
      example: "Asia/Tokyo",
    }),
  })
  .meta({ id: "CsmInput" });
export type CsmInput = z.infer<typeof CsmInput>;
export type CsmLocale = z.infer<typeof CsmLocale>;

export const Csm = z
  .object({
    email: z.string(),
    name: z.string().nullable(),
    capacity: z.number().int().nullable(),
    tiers: z.array(z.string()),
    active: z.boolean(),
    locale: CsmLocale.nullable(),
    timezone: z.string().nullable(),
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
    locale: input.locale ?? null,
    timezone: input.timezone ?? null,
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
      locale: csms.locale,
      timezone: csms.timezone,
      openLoad,
    })
    .from(csms)
    .where(and(eq(csms.workspaceId, workspaceId), email ? eq(csms.email, email) : undefined))
    .orderBy(asc(csms.email));
  return rows.map((r) => ({ ...r, locale: localeOf(r.locale), openLoad: Number(r.openLoad) }));
}

/** A stored locale as the API and the email read it: only what the email is written in. */
export function localeOf(stored: string | null): CsmLocale | null {
  const parsed = CsmLocale.safeParse(stored);
  return parsed.success ? parsed.data : null;
}
