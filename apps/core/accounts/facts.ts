import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts } from "../../../db/schema/index";
import type { Facts } from "../../../workflows/journey/interpreter";
import { calendarDaysUntil, wholeDaysSince } from "../../../workflows/journey/time";

const DAY_MS = 86_400_000;
/** Users count as active for 28 days after an event of theirs. */
export const USAGE_WINDOW_MS = 28 * DAY_MS;

type Account = typeof accounts.$inferSelect;

/** What an account's events say at one instant: its last login, and the users active in 28 days. */
export type Usage = { lastLogin: string | null; activeUsers: number };

/**
 * An account's usage at `at` as one jsonb value (Usage), in a select from `accounts`: a column of the
 * run context's read (delivery/run-context.ts) or of a query of its own. One pass over its events.
 * The account's columns are qualified by hand: in a one-table select drizzle leaves its own unqualified,
 * and inside this subquery they would name the event's.
 */
export function usageSql(at: string): SQL<Usage> {
  return usageBetween(new Date(Date.parse(at) - USAGE_WINDOW_MS).toISOString(), at);
}

/** usageSql with its instants as values or as a prepared statement's parameters (timestamptz). */
export function usageBetween(since: string | SQL, at: string | SQL): SQL<Usage> {
  return sql<Usage>`(select jsonb_build_object(
      'lastLogin', max(e.occurred_at) filter (where e.name = 'login'),
      'activeUsers', count(distinct coalesce(e.contact_id::text, e.properties->>'user')) filter (where e.occurred_at >= ${since}::timestamptz))
    from events e
    where e.workspace_id = "accounts"."workspace_id" and e.account_id = "accounts"."id"
      and e.occurred_at <= ${at}::timestamptz)`;
}

/**
 * The facts journeys branch on, for one account at one instant: its fields, what its events say
 * (last login, users active in 28 days, deployment ratio) and its dates. One query, no loops.
 */
export async function loadFacts(db: Db, workspaceId: string, accountId: string, at: string): Promise<Facts> {
  const [row] = await db
    .select({ account: accounts, usage: usageSql(at) })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, workspaceId), eq(accounts.id, accountId)));
  return row ? factsOf(row.account, row.usage, at) : {};
}

/** The facts of an account row the caller already holds: one query, for what its events say. */
export async function accountFacts(db: Db, account: Account, at: string): Promise<Facts> {
  const [row] = await db
    .select({ usage: usageSql(at) })
    .from(accounts)
    .where(eq(accounts.id, account.id));
  return factsOf(account, row?.usage, at);
}

/** The facts of an account whose usage at `at` was read already (usageSql). */
export function factsOf(account: Account, usage: Usage | undefined, at: string): Facts {
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
