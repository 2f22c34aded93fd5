import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, csms, enrollments, type escalationStatuses, escalations } from "../../../db/schema/index";
import { escalationResolvedSignal } from "../../../workflows/contracts";
import type { DeliveryDeps } from "../delivery/deliver-touch";
import type { RuntimeDeps } from "../enrollments/runtime";
import type { Refusal } from "../shared/refusal";
import type { Services } from "../shared/services";
import { assignWaiting } from "./assign";
import { notifyEscalation } from "./notify";
import { type Escalation, getEscalation } from "./queries";

/**
 * The CSM's actions on an escalation: acknowledge, reassign, resolve. Each answers the escalation as
 * it is now, or a refusal: `not_found`, `conflict` (its state forbids it), `invalid` (`pointer` names
 * the field).
 */
export type EscalationChange =
  | { ok: true; escalation: Escalation }
  | { ok: false; refusal: Extract<Refusal, "not_found" | "conflict">; detail: string }
  | { ok: false; refusal: Extract<Refusal, "invalid">; detail: string; pointer: string };

/** Who is told of a change: the CSM notifications' delivery, and the log for a notification that failed. */
export type NotifyDeps = DeliveryDeps & Pick<Services, "log">;

const notFound = (id: string): EscalationChange => ({
  ok: false,
  refusal: "not_found",
  detail: `No escalation "${id}".`,
});

async function change(
  db: Db,
  workspaceId: string,
  id: string,
  from: readonly (typeof escalationStatuses)[number][],
  set: Partial<typeof escalations.$inferInsert>,
  at: Date,
): Promise<EscalationChange> {
  const current = await getEscalation(db, workspaceId, id);
  if (!current) return notFound(id);
  const updated = await db
    .update(escalations)
    .set({ ...set, updatedAt: at })
    .where(and(eq(escalations.id, id), inArray(escalations.status, [...from])))
    .returning({ id: escalations.id });
  if (updated.length === 0)
    return { ok: false, refusal: "conflict", detail: `The escalation is already ${current.status}.` };
  const escalation = await getEscalation(db, workspaceId, id);
  return escalation ? { ok: true, escalation } : notFound(id);
}

/** A CSM has picked it up: open → acknowledged. */
export function acknowledgeEscalation(db: Db, workspaceId: string, id: string, at: Date) {
  return change(db, workspaceId, id, ["open"], { status: "acknowledged", acknowledgedAt: at }, at);
}

/**
 * Gives an open escalation to another CSM, who must exist in the workspace and be active, and tells
 * them by email (once per escalation and assignee).
 */
export async function reassignEscalation(
  deps: NotifyDeps,
  workspaceId: string,
  id: string,
  assignee: string,
  at: Date,
): Promise<EscalationChange> {
  const [target] = await deps.db
    .select({ active: csms.active })
    .from(csms)
    .where(and(eq(csms.workspaceId, workspaceId), eq(csms.email, assignee)));
  if (!target?.active) {
    const current = await getEscalation(deps.db, workspaceId, id);
    if (!current) return notFound(id);
    return {
      ok: false,
      refusal: "invalid",
      pointer: "/assignee",
      detail: target
        ? `CSM "${assignee}" is inactive.`
        : `No CSM "${assignee}" in this workspace (add one with PUT /v1/csms/{email}).`,
    };
  }
  const result = await change(deps.db, workspaceId, id, ["open", "acknowledged"], { assignee }, at);
  if (result.ok) await notifyAssignedQuietly(deps, [id], at);
  return result;
}

/**
 * The change is committed before anyone is told: a mail server that is down must not turn it into
 * an error (the SLA's reminder tells the assignee again), nor delay what the journey waits for. A
 * notification that fails is logged with its cause, once.
 */
async function notifyAssignedQuietly(deps: NotifyDeps, ids: string[], at: Date): Promise<void> {
  for (const id of ids) {
    try {
      await notifyAssigned(deps, id, at);
    } catch (err) {
      deps.log.error("could not tell the assignee of an escalation", {
        escalationId: id,
        error: err,
      });
    }
  }
}

/** Emails the escalation's current assignee that it is theirs now (after a reassign or a late pick). */
async function notifyAssigned(deps: DeliveryDeps, id: string, at: Date): Promise<void> {
  const [row] = await deps.db
    .select({ x: escalations, account: accounts.name })
    .from(escalations)
    .innerJoin(accounts, eq(accounts.id, escalations.accountId))
    .where(eq(escalations.id, id));
  if (!row?.x.assignee) return;
  await notifyEscalation(deps, {
    escalation: row.x,
    account: row.account,
    stage: "assigned",
    at: at.toISOString(),
    attempt: 1,
  });
}

/**
 * Resolves, then tells a waiting journey the outcome: `resume` goes on, `exit` ends the run; the
 * optional resolution label is what the journey can branch on (`escalation.<step>.resolution`).
 * Resolving again with the same outcome and label signals again instead of refusing, so a call that
 * failed after the row was saved can simply be retried (the journey ignores a second signal). The
 * CSM's freed capacity goes to escalations still waiting for someone with room.
 */
export async function resolveEscalation(
  deps: RuntimeDeps & { delivery?: NotifyDeps },
  workspaceId: string,
  id: string,
  outcome: "resume" | "exit",
  notes: string | undefined,
  resolution: string | undefined,
  at: Date,
): Promise<EscalationChange> {
  const current = await getEscalation(deps.db, workspaceId, id);
  const repeated =
    current?.status === "resolved" &&
    current.outcome === outcome &&
    current.resolution === (resolution ?? null);
  const result: EscalationChange =
    current && repeated
      ? { ok: true, escalation: current }
      : await change(
          deps.db,
          workspaceId,
          id,
          ["open", "acknowledged"],
          {
            status: "resolved",
            outcome,
            resolution: resolution ?? null,
            notes: notes ?? null,
            resolvedAt: at,
          },
          at,
        );
  if (!result.ok) return result;
  // The journey first: it waits for this, the CSMs' emails below can take a while.
  if (result.escalation.holdsJourney) await signalResolution(deps, id, outcome, resolution);
  if (!repeated && result.escalation.assignee) {
    const assigned = await assignWaiting(deps.db, workspaceId, at);
    if (deps.delivery) await notifyAssignedQuietly(deps.delivery, assigned, at);
  }
  return result;
}

async function signalResolution(
  deps: RuntimeDeps,
  id: string,
  outcome: "resume" | "exit",
  resolution: string | undefined,
): Promise<void> {
  const [row] = await deps.db
    .select({ workflowId: enrollments.workflowId, key: escalations.escalationKey })
    .from(escalations)
    .innerJoin(enrollments, eq(enrollments.id, escalations.enrollmentId))
    .where(eq(escalations.id, id));
  if (row) {
    try {
      await deps.client.workflow.getHandle(row.workflowId).signal(escalationResolvedSignal, {
        escalationKey: row.key,
        resume: outcome === "resume",
        ...(resolution ? { resolution } : {}),
      });
    } catch (err) {
      // The run is gone (it ended or timed out): there is nobody left to tell, which is no failure.
      if ((err as Error).name !== "WorkflowNotFoundError") throw err;
    }
  }
}
