import { and, eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, escalations, workspaces } from "../../../db/schema/index";
import type { DeliveryDeps } from "../delivery/deliver-touch";
import { identityOf } from "../workspace/identity";
import { settingsOf } from "../workspace/settings";
import { anyCsmServes, lockAssignments, pickCsm } from "./assign";
import { notifyEscalation } from "./notify";

const raised = { low: "medium", medium: "high", high: "urgent", urgent: "urgent" } as const;

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
  const [peek] = await deps.db
    .select({
      assignee: escalations.assignee,
      tier: accounts.tier,
      settings: workspaces.settings,
      name: workspaces.name,
      identity: workspaces.identity,
    })
    .from(escalations)
    .innerJoin(accounts, eq(accounts.id, escalations.accountId))
    .innerJoin(workspaces, eq(workspaces.id, escalations.workspaceId))
    .where(and(eq(escalations.workspaceId, input.workspaceId), eq(escalations.id, input.escalationId)));
  if (!peek) return "resolved";
  const settings = settingsOf(peek.settings, deps.log, identityOf(peek.name, peek.identity));
  const mayPick = peek.assignee === null && (await anyCsmServes(deps.db, input.workspaceId, peek.tier));
  // One opened while nobody could take it (before a fallback owner was set) reaches the fallback now.
  const fallbackOwner = peek.assignee === null ? settings.escalations.fallbackOwner : null;
  const row = await deps.db.transaction(async (tx) => {
    const t = tx as unknown as Db;
    // The lock comes before the row lock, in the same order as every other assignment path.
    if (mayPick) await lockAssignments(t, input.workspaceId);
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
      x.assignee ??
      (mayPick ? await pickCsm(t, input.workspaceId, found.tier, deps.clock.now()) : null) ??
      fallbackOwner;
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
