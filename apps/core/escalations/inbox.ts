import { and, asc, eq, gte, inArray, isNull, ne, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import {
  accountHealth,
  accounts,
  csms,
  escalationPriorities,
  escalationStatuses,
  escalations,
  events,
  tiers,
} from "../../../db/schema/index";
import { isUuid } from "../shared/uuid";

/**
 * The console's inbox: escalations with what a CSM needs beside each (the account's health and its
 * trend, ARR, renewal, last login), filtered and sorted. The API's list is queries.ts; the actions
 * are actions.ts, shared by both.
 */

export const inboxSorts = ["deadline", "priority", "tier"] as const;

/** The inbox's views by status: `unresolved` (open or acknowledged, the working list), or one status. */
export const inboxStatuses = ["unresolved", ...escalationStatuses] as const;
export type InboxStatus = (typeof inboxStatuses)[number];

/** Unknown values are dropped (the default applies), never an error: a filtered view is a link anyone may edit. */
const loose = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

export const InboxFilter = z.object({
  status: loose(z.enum(inboxStatuses)),
  priority: loose(z.enum(escalationPriorities)),
  tier: loose(z.enum(tiers)),
  /** A CSM's email, `mine`, `none` (unassigned) or `all`; absent: `mine` for a CSM, else `all`. */
  owner: loose(z.union([z.enum(["mine", "none", "all"]), z.email().max(254)])),
  sort: loose(z.enum(inboxSorts)),
});
export type InboxFilter = z.infer<typeof InboxFilter>;

export type InboxItem = {
  id: string;
  enrollmentId: string;
  stepId: string;
  reason: string;
  priority: (typeof escalationPriorities)[number];
  status: (typeof escalationStatuses)[number];
  assignee: string | null;
  dueAt: Date;
  breached: boolean;
  outcome: "resume" | "exit" | null;
  resolution: string | null;
  notes: string | null;
  createdAt: Date;
  account: {
    externalId: string;
    name: string;
    tier: (typeof tiers)[number];
    arr: number | null;
    renewalDate: string | null;
    lastLoginAt: Date | null;
    healthScore: number | null;
    healthBand: "red" | "yellow" | "green" | null;
  };
  /** Health scores of the last 90 days, oldest first. */
  health: { at: Date; score: number }[];
};

const LIMIT = 200;
const HEALTH_DAYS = 90;
const DAY_MS = 86_400_000;

const priorityRank = sql`case ${escalations.priority} when 'urgent' then 0 when 'high' then 1 when 'medium' then 2 else 3 end`;
const tierRank = sql`case ${accounts.tier} when 'high_touch' then 0 when 'low_touch' then 1 else 2 end`;

/**
 * Escalations of the workspace matching the filter (`unresolved` unless given; the owner already
 * resolved to an email or absent), most urgent first by the sort, with each account's health line:
 * two queries whatever the number of rows.
 */
export async function listInbox(
  db: Db,
  workspaceId: string,
  filter: {
    status?: InboxStatus;
    priority?: string;
    tier?: string;
    /** An email, or null for the unassigned ones. */
    assignee?: string | null;
    sort: string;
    /** One escalation, whatever its status. */
    id?: string;
  },
  now: Date,
): Promise<InboxItem[]> {
  const order: SQL[] =
    filter.sort === "priority"
      ? [asc(priorityRank), asc(escalations.dueAt)]
      : filter.sort === "tier"
        ? [asc(tierRank), asc(escalations.dueAt)]
        : [asc(escalations.dueAt)];
  // As the journeys' facts read it (accounts/facts.ts): the account's own, or a login event not yet applied to it.
  const lastLogin = sql<
    string | Date | null
  >`greatest(${accounts.lastLoginAt}, (select max(${events.occurredAt}) from ${events} where ${events.workspaceId} = ${accounts.workspaceId} and ${events.accountId} = ${accounts.id} and ${events.name} = 'login'))`;
  const rows = await db
    .select({ x: escalations, a: accounts, lastLogin })
    .from(escalations)
    .innerJoin(accounts, eq(accounts.id, escalations.accountId))
    .where(
      and(
        eq(escalations.workspaceId, workspaceId),
        filter.id
          ? eq(escalations.id, filter.id)
          : (filter.status ?? "unresolved") === "unresolved"
            ? ne(escalations.status, "resolved")
            : eq(escalations.status, filter.status as InboxItem["status"]),
        filter.priority ? eq(escalations.priority, filter.priority as InboxItem["priority"]) : undefined,
        filter.tier ? eq(accounts.tier, filter.tier as InboxItem["account"]["tier"]) : undefined,
        filter.assignee === null
          ? isNull(escalations.assignee)
          : filter.assignee
            ? eq(escalations.assignee, filter.assignee)
            : undefined,
      ),
    )
    .orderBy(...order, asc(escalations.id))
    .limit(LIMIT);
  const accountIds = [...new Set(rows.map((r) => r.a.id))];
  const scores =
    accountIds.length === 0
      ? []
      : await db
          .select({
            accountId: accountHealth.accountId,
            at: accountHealth.computedAt,
            score: accountHealth.score,
          })
          .from(accountHealth)
          .where(
            and(
              eq(accountHealth.workspaceId, workspaceId),
              inArray(accountHealth.accountId, accountIds),
              gte(accountHealth.computedAt, new Date(now.getTime() - HEALTH_DAYS * DAY_MS)),
            ),
          )
          .orderBy(asc(accountHealth.computedAt));
  const health = new Map<string, { at: Date; score: number }[]>();
  for (const s of scores) {
    const line = health.get(s.accountId) ?? [];
    line.push({ at: s.at, score: s.score });
    health.set(s.accountId, line);
  }
  return rows.map(({ x, a, lastLogin }) => {
    const line = health.get(a.id) ?? [];
    return {
      id: x.id,
      enrollmentId: x.enrollmentId,
      stepId: x.stepId,
      reason: x.reason,
      priority: x.priority,
      status: x.status,
      assignee: x.assignee,
      dueAt: x.dueAt,
      breached: x.status !== "resolved" && (x.breachedAt !== null || x.dueAt.getTime() < now.getTime()),
      outcome: x.outcome,
      resolution: x.resolution,
      notes: x.notes,
      createdAt: x.createdAt,
      account: {
        externalId: a.externalId,
        name: a.name,
        tier: a.tier,
        arr: a.arr,
        renewalDate: a.renewalDate,
        lastLoginAt: lastLogin === null ? null : new Date(lastLogin),
        // The account keeps the latest run's score; its history is the fallback.
        healthScore: a.healthScore ?? line.at(-1)?.score ?? null,
        healthBand: a.healthBand,
      },
      health: line,
    };
  });
}

/** One escalation of the workspace as the inbox shows it (after an action), or null. */
export async function getInboxItem(
  db: Db,
  workspaceId: string,
  id: string,
  now: Date,
): Promise<InboxItem | null> {
  if (!isUuid(id)) return null;
  const [item] = await listInbox(db, workspaceId, { id, sort: "deadline" }, now);
  return item ?? null;
}

/**
 * How a signed-in person reads the inbox: whether they are a CSM of the workspace (a CSM record with
 * their email), and the active CSMs an escalation can be given to. The zone of the times shown is
 * the session's (SignedIn.timeZone).
 */
export async function inboxReader(db: Db, workspaceId: string, email: string) {
  const rows = await db
    .select({ email: csms.email, name: csms.name, active: csms.active })
    .from(csms)
    .where(eq(csms.workspaceId, workspaceId))
    .orderBy(asc(csms.email));
  const self = rows.find((r) => r.email === email.toLowerCase());
  return {
    isCsm: Boolean(self),
    csms: rows.filter((r) => r.active).map((r) => ({ email: r.email, name: r.name })),
  };
}
