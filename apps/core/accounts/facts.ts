import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, events } from "../../../db/schema/index";
import type { Facts } from "../../../workflows/journey/interpreter";
import { calendarDaysUntil, wholeDaysSince } from "../../../workflows/journey/time";

const DAY_MS = 86_400_000;

/**
 * The facts journeys branch on, for one account at one instant: its fields, what its events say
 * (last login, users active in 28 days, deployment ratio) and its dates. Two queries, no loops.
 */
export async function loadFacts(db: Db, workspaceId: string, accountId: string, at: string): Promise<Facts> {
  const [account] = await db
    .select()
    .from(accounts)
    .where(and(eq(accounts.workspaceId, workspaceId), eq(accounts.id, accountId)));
  return account ? accountFacts(db, account, at) : {};
}

/** The facts of an account row the caller already holds: one query, for what its events say. */
export async function accountFacts(
  db: Db,
  account: typeof accounts.$inferSelect,
  at: string,
): Promise<Facts> {
  const { workspaceId, id: accountId } = account;
  const atDate = new Date(at);
  const since = new Date(atDate.getTime() - 28 * DAY_MS);
  const [usage] = await db
    .select({
      lastLogin: sql<string | null>`max(${events.occurredAt}) filter (where ${events.name} = 'login')`,
      activeUsers: sql<number>`count(distinct coalesce(${events.contactId}::text, ${events.properties}->>'user')) filter (where ${events.occurredAt} >= ${since.toISOString()}::timestamptz)`,
    })
    .from(events)
    .where(
      and(
        eq(events.workspaceId, workspaceId),
        eq(events.accountId, accountId),
        sql`${events.occurredAt} <= ${atDate.toISOString()}::timestamptz`,
      ),
    );

  const facts: Facts = {
    tier: account.tier,
    stage: account.lifecycleStage,
    ...Object.fromEntries(Object.entries(account.attributes).map(([k, v]) => [`attributes.${k}`, v])),
  };
  if (account.arr !== null) facts.arr = Number(account.arr);
  if (account.licenses !== null) facts.licenses = account.licenses;
  if (account.renewalDate) {
    facts.renewal_date = account.renewalDate;
    facts.days_to_renewal = calendarDaysUntil(account.renewalDate, at);
  }
  if (account.contractStart) facts.contract_start = account.contractStart;
  if (account.healthScore !== null) facts["health.score"] = account.healthScore;
  if (account.healthBand) facts["health.band"] = account.healthBand;
  const lastLogin = usage?.lastLogin ? new Date(usage.lastLogin) : (account.lastLoginAt ?? null);
  if (lastLogin) facts.days_since_last_login = wholeDaysSince(lastLogin.toISOString(), at);
  const active = Number(usage?.activeUsers ?? 0);
  facts["adoption.active_users_28d"] = active;
  if (account.licenses) facts["deployment.ratio"] = active / account.licenses;
  return facts;
}
