import type { Db } from "../../../db/client";
import { Tier } from "../accounts/accounts";
import { type Csm, type CsmLocale, listCsms, upsertCsm } from "./csms";

/**
 * A CSM changes how their escalation emails reach them (language, time zone) from their console
 * profile: the same upsert as PUT /v1/csms/{email}, every other field kept as it is. Null: no CSM
 * record has that email in the workspace (the console offers nothing to change).
 */
export async function saveCsmPreferences(
  db: Db,
  workspaceId: string,
  email: string,
  preferences: { locale: CsmLocale | null; timezone: string | null },
  at: Date,
): Promise<Csm | null> {
  const [current] = await listCsms(db, workspaceId, email);
  if (!current) return null;
  const tiers = current.tiers.flatMap((tier) => {
    const known = Tier.safeParse(tier);
    return known.success ? [known.data] : [];
  });
  const { name, capacity, active } = current;
  return upsertCsm(db, workspaceId, email, { name, capacity, active, tiers, ...preferences }, at);
}
