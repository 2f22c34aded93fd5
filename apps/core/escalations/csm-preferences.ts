import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { csms } from "../../../db/schema/index";
import { Tier } from "../accounts/accounts";
import { type Csm, type CsmLocale, listCsms, upsertCsm } from "./csms";

/**
 * The CSM record of a console person: the same email in the workspace, in any case (CSM records
 * keep the address as PUT /v1/csms/{email} was given it; people's emails are lower case).
 */
export async function findCsmOfPerson(db: Db, workspaceId: string, email: string): Promise<Csm | null> {
  const [match] = await db
    .select({ email: csms.email })
    .from(csms)
    .where(and(eq(csms.workspaceId, workspaceId), eq(sql`lower(${csms.email})`, email.toLowerCase())))
    .limit(1);
  if (!match) return null;
  return (await listCsms(db, workspaceId, match.email))[0] ?? null;
}

/**
 * A CSM changes how their escalation emails reach them (language, time zone) from their console
 * profile: the same upsert as PUT /v1/csms/{email}, every other field kept as it is. Null: the
 * person is no CSM of the workspace (the console offers nothing to change).
 */
export async function saveCsmPreferences(
  db: Db,
  workspaceId: string,
  personEmail: string,
  preferences: { locale: CsmLocale | null; timezone: string | null },
  at: Date,
): Promise<Csm | null> {
  const current = await findCsmOfPerson(db, workspaceId, personEmail);
  if (!current) return null;
  const tiers = current.tiers.flatMap((tier) => {
    const known = Tier.safeParse(tier);
    return known.success ? [known.data] : [];
  });
  const { email, name, capacity, active } = current;
  return upsertCsm(db, workspaceId, email, { name, capacity, active, tiers, ...preferences }, at);
}
