import { and, eq, sql } from "drizzle-orm";
import { builtOnce, type Db } from "../../../db/client";
import { type escalationPriorities, escalations } from "../../../db/schema/index";
import { chooseAssignee } from "../../../workflows/journey/assignment";
import { addDuration } from "../../../workflows/journey/time";
import type { Services } from "../shared/services";
import { getSettings, type Settings } from "../workspace/settings";
import { csmServingSql, loadRoster, lockAssignments, markPicked } from "./assign";

/**
 * Records an escalation once per (enrollment, key) and returns it, with its assignee. Without an explicit
 * assignee (no owner CSM), a CSM serving the account's tier is picked by capacity-aware round robin
 * in the same transaction, so concurrent escalations never overfill anyone; when nobody can take it,
 * the workspace's fallback owner gets it (`chooseAssignee`, the rule the simulator uses too).
 */
export async function openEscalation(
  deps: Pick<Services, "db" | "clock" | "metrics">,
  e: {
    workspaceId: string;
    enrollmentId: string;
    accountId: string;
    tier: string;
    escalationKey: string;
    stepId: string;
    reason: string;
    priority: (typeof escalationPriorities)[number];
    sla: string;
    assignee: string | null;
    holdsJourney: boolean;
    at: string;
  },
  /** The workspace's settings when the caller holds them (a transition's run context). */
  settings?: Pick<Settings, "escalations">,
): Promise<typeof escalations.$inferSelect> {
  const { db } = deps;
  const { tier, ...values } = e;
  // Counted once, by the call that inserted the row (a retry finds it), after its transaction.
  let inserted = false;
  const find = async (q: Db) => {
    const [row] = await q
      .select()
      .from(escalations)
      .where(
        and(eq(escalations.enrollmentId, e.enrollmentId), eq(escalations.escalationKey, e.escalationKey)),
      );
    return row;
  };
  // Unique on (enrollment, key): a retry or a concurrent attempt finds the one row there is.
  const insert = async (q: Db, assignee: string | null) => {
    const [row] = await q
      .insert(escalations)
      .values({ ...values, assignee, dueAt: new Date(addDuration(e.at, e.sla)) })
      .onConflictDoNothing({ target: [escalations.enrollmentId, escalations.escalationKey] })
      .returning();
    if (row) inserted = true;
    const found = row ?? (await find(q));
    if (!found) throw new Error("escalation vanished");
    return found;
  };
  const row = await (async () => {
    if (e.assignee) return insert(db, e.assignee);
    // An escalation opened before keeps its pick; whether anyone could be picked is asked with it.
    const [earlier] = await earlierQuery(db).execute({
      enrollmentId: e.enrollmentId,
      key: e.escalationKey,
      workspaceId: e.workspaceId,
      tier,
    });
    if (earlier?.existing) return earlier.existing;
    const { fallbackOwner } = (settings ?? (await getSettings(db, e.workspaceId))).escalations;
    const request = { explicit: null, tier };
    // Without a CSM for the tier there is no pick to make, nor a reason to queue on the workspace's lock.
    if (!earlier?.csmServes) return insert(db, chooseAssignee(request, [], fallbackOwner).assignee);
    return db.transaction(async (tx) => {
      const t = tx as unknown as Db;
      await lockAssignments(t, e.workspaceId);
      const choice = chooseAssignee(request, await loadRoster(t, e.workspaceId, tier), fallbackOwner);
      if (choice.via === "round_robin" && choice.assignee)
        await markPicked(t, e.workspaceId, choice.assignee, deps.clock.now());
      return insert(t, choice.assignee);
    });
  })();
  if (inserted) deps.metrics?.escalationsOpened.inc({ tier, priority: e.priority });
  return row;
}

/**
 * The escalation this (enrollment, key) opened before, if any, and whether an active CSM serves the
 * tier: one prepared statement where they were two reads (decision 0045).
 */
const earlierQuery = builtOnce((db) => {
  const p = sql.placeholder;
  return db
    .select({
      existing: escalations,
      csmServes: sql<boolean>`exists (${csmServingSql(sql`${p("workspaceId")}::uuid`, sql`${p("tier")}::text`)})`,
    })
    .from(sql`(select 1) as one`)
    .leftJoin(
      escalations,
      and(eq(escalations.enrollmentId, p("enrollmentId")), eq(escalations.escalationKey, p("key"))),
    )
    .prepare("escalation_earlier");
});
