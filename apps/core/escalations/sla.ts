import { and, eq, getTableColumns, ne, sql } from "drizzle-orm";
import { builtOnce, type Db } from "../../../db/client";
import { accounts, type escalationPriorities, escalations, workspaces } from "../../../db/schema/index";
import type { DeliveryDeps } from "../delivery/deliver-touch";
import { identityOf } from "../workspace/identity";
import { settingsOf } from "../workspace/settings";
import { csmServingSql, lockAssignments, pickCsm } from "./assign";
import { notifyEscalation } from "./notify";

const raised = { low: "medium", medium: "high", high: "urgent", urgent: "urgent" } as const;
/** `raised` as the WHEN arms of a CASE on the old priority, for the one-statement stage: one rule, not two. */
const raisedSql = sql.raw(
  Object.entries(raised)
    .map(([from, to]) => `when '${from}' then '${to}'`)
    .join(" "),
);

/**
 * The SLA workflow's check. Still open at the reminder: remind the assignee. Still open at the
 * deadline: mark it breached, raise its priority one level and notify again. An escalation nobody had
 * room for gets the capacity-aware pick again first, else the workspace's fallback owner. The stage is recorded once (a retried activity
 * finds it done and only notifies, which is idempotent per stage), in one transaction under the
 * workspace's assignment lock.
 */
export async function checkEscalationSla(
  deps: DeliveryDeps,
  input: {
    workspaceId: string;
    escalationId: string;
    stage: "reminder" | "breach";
    at: string;
    attempt?: number;
  },
): Promise<"open" | "resolved"> {
  // Only an escalation still without an assignee, in a workspace with a CSM for its tier, may get a
  // pick here; only then is the workspace's assignment lock taken. Every other check locks just its row,
  // so the SLA checks of thousands of assigned escalations do not queue behind one another.
  // The workspace's settings are read with it: the fallback owner here, the sender for the notice.
  const [peek] = await peekQuery(deps.db).execute({
    workspaceId: input.workspaceId,
    id: input.escalationId,
  });
  if (!peek) return "resolved";
  const settings = settingsOf(peek.settings, deps.log, identityOf(peek.name, peek.identity));
  // One opened while nobody could take it (before a fallback owner was set) reaches the fallback now.
  const fallbackOwner = peek.assignee === null ? settings.escalations.fallbackOwner : null;
  const row =
    peek.assignee === null && peek.csmServes
      ? await stageWithPick(deps, input, fallbackOwner)
      : await stageQuery(deps.db)
          .execute({
            workspaceId: input.workspaceId,
            id: input.escalationId,
            breach: input.stage === "breach",
            // ISO strings: drizzle's postgres-js driver serialises dates itself, not a raw placeholder.
            at: new Date(input.at).toISOString(),
            fallback: fallbackOwner,
            now: deps.clock.now().toISOString(),
          })
          .then(([r]) => (r ? staged(r) : null));
  if (!row) return "resolved";
  // Counted by the check that recorded the breach (a retry finds it recorded), after its transaction.
  if (row.breachedFrom) deps.metrics?.escalationsBreached.inc({ priority: row.breachedFrom });
  await notifyEscalation(deps, {
    escalation: row.x,
    account: row.account,
    stage: input.stage,
    at: input.at,
    attempt: input.attempt ?? 1,
    settings,
  });
  return "open";
}

/** The check's first read: the escalation's assignee, its account's tier, the workspace, and whether anyone could be picked. */
const peekQuery = builtOnce((db) =>
  db
    .select({
      assignee: escalations.assignee,
      settings: workspaces.settings,
      name: workspaces.name,
      identity: workspaces.identity,
      csmServes: sql<boolean>`exists (${csmServingSql(sql`${escalations.workspaceId}`, sql`${accounts.tier}`)})`,
    })
    .from(escalations)
    .innerJoin(accounts, eq(accounts.id, escalations.accountId))
    .innerJoin(workspaces, eq(workspaces.id, escalations.workspaceId))
    .where(
      and(
        eq(escalations.workspaceId, sql.placeholder("workspaceId")),
        eq(escalations.id, sql.placeholder("id")),
      ),
    )
    .prepare("escalation_sla_peek"),
);

/**
 * The stage recorded in one statement, when no pick is to be made (decision 0045): the row is locked
 * and read as it was, then updated from it, so `breachedFrom` is set only by the check that recorded
 * the breach. A resolved escalation matches nothing.
 */
const stageQuery = builtOnce((db) => {
  const p = sql.placeholder;
  const old = db.$with("old").as(
    db
      .select({
        id: escalations.id,
        oldBreachedAt: sql`${escalations.breachedAt}`.as("old_breached_at"),
        oldRemindedAt: sql`${escalations.remindedAt}`.as("old_reminded_at"),
        oldPriority: sql`${escalations.priority}`.as("old_priority"),
        account: sql<string>`${accounts.name}`.as("account"),
      })
      .from(escalations)
      .innerJoin(accounts, eq(accounts.id, escalations.accountId))
      .where(
        and(
          eq(escalations.workspaceId, p("workspaceId")),
          eq(escalations.id, p("id")),
          ne(escalations.status, "resolved"),
        ),
      )
      .for("update", { of: escalations }),
  );
  const breachNow = sql`(${p("breach")}::boolean and "old"."old_breached_at" is null)`;
  const remindNow = sql`(not ${p("breach")}::boolean and "old"."old_reminded_at" is null)`;
  return db
    .with(old)
    .update(escalations)
    .set({
      breachedAt: sql`case when ${breachNow} then ${p("at")}::timestamptz else ${escalations.breachedAt} end`,
      priority: sql`case when ${breachNow} then (case "old"."old_priority" ${raisedSql} end) else ${escalations.priority} end`,
      remindedAt: sql`case when ${remindNow} then ${p("at")}::timestamptz else ${escalations.remindedAt} end`,
      assignee: sql`coalesce(${escalations.assignee}, ${p("fallback")}::text)`,
      updatedAt: sql`${p("now")}::timestamptz`,
    })
    .from(old)
    .where(eq(escalations.id, old.id))
    .returning({
      ...getTableColumns(escalations),
      account: old.account,
      breachedFrom: sql<
        (typeof escalationPriorities)[number] | null
      >`case when ${breachNow} then "old"."old_priority" end`,
    })
    .prepare("escalation_sla_stage");
});

function staged({
  account,
  breachedFrom,
  ...x
}: typeof escalations.$inferSelect & {
  account: string;
  breachedFrom: (typeof escalationPriorities)[number] | null;
}) {
  return { x, account, breachedFrom };
}

/**
 * The stage recorded with a pick: under the workspace's assignment lock (taken before the row lock,
 * in the same order as every other assignment path), the capacity-aware pick, else the fallback owner.
 */
async function stageWithPick(
  deps: DeliveryDeps,
  input: { workspaceId: string; escalationId: string; stage: "reminder" | "breach"; at: string },
  fallbackOwner: string | null,
) {
  return deps.db.transaction(async (tx) => {
    const t = tx as unknown as Db;
    await lockAssignments(t, input.workspaceId);
    const [found] = await tx
      .select({ x: escalations, account: accounts.name, tier: accounts.tier })
      .from(escalations)
      .innerJoin(accounts, eq(accounts.id, escalations.accountId))
      .where(and(eq(escalations.workspaceId, input.workspaceId), eq(escalations.id, input.escalationId)))
      .for("update", { of: escalations });
    if (!found || found.x.status === "resolved") return null;
    const x = found.x;
    const at = new Date(input.at);
    const assignee =
      x.assignee ?? (await pickCsm(t, input.workspaceId, found.tier, deps.clock.now())) ?? fallbackOwner;
    const stage =
      input.stage === "breach"
        ? x.breachedAt
          ? {}
          : { breachedAt: at, priority: raised[x.priority] }
        : x.remindedAt
          ? {}
          : { remindedAt: at };
    const [updated] = await tx
      .update(escalations)
      .set({ ...stage, assignee, updatedAt: deps.clock.now() })
      .where(eq(escalations.id, x.id))
      .returning();
    return updated
      ? { x: updated, account: found.account, breachedFrom: "breachedAt" in stage ? x.priority : null }
      : null;
  });
}
