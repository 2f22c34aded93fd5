import { z } from "@hono/zod-openapi";
import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  accounts,
  csms,
  enrollments,
  escalationPriorities,
  escalationStatuses,
  escalations,
} from "../../../db/schema/index";
import { addDuration } from "../../../workflows/journey/time";
import { escalationResolvedSignal } from "../../../workflows/journey-run";
import { type DeliveryDeps, notifyCsm, notifyWebhook, type TouchOutcome } from "../delivery/deliver-touch";
import type { RuntimeDeps } from "../enrollments/runtime";
import { isUuid } from "../shared/uuid";
import { getSettings } from "../workspace/settings";
import { anyCsmServes, lockAssignments, pickCsm } from "./csms";

/**
 * Escalations: accounts a journey hands to a human CSM. This is the record and the CSM's actions
 * (acknowledge, resolve with an outcome that resumes or ends the journey, reassign), the SLA checks
 * (reminder, breach) and capacity-aware assignment, retried for escalations nobody had room for.
 */

export const Escalation = z
  .object({
    id: z.string(),
    account: z.string(),
    enrollmentId: z.string(),
    stepId: z.string(),
    reason: z.string(),
    priority: z.enum(escalationPriorities),
    sla: z.string(),
    dueAt: z.string(),
    assignee: z.string().nullable(),
    holdsJourney: z.boolean(),
    status: z.enum(escalationStatuses),
    outcome: z.enum(["resume", "exit"]).nullable(),
    resolution: z.string().nullable(),
    notes: z.string().nullable(),
    createdAt: z.string(),
    acknowledgedAt: z.string().nullable(),
    resolvedAt: z.string().nullable(),
  })
  .openapi("Escalation");
export type Escalation = z.infer<typeof Escalation>;

type Row = { x: typeof escalations.$inferSelect; account: string };

function toEscalation({ x, account }: Row): Escalation {
  return {
    id: x.id,
    account,
    enrollmentId: x.enrollmentId,
    stepId: x.stepId,
    reason: x.reason,
    priority: x.priority,
    sla: x.sla,
    dueAt: x.dueAt.toISOString(),
    assignee: x.assignee,
    holdsJourney: x.holdsJourney,
    status: x.status,
    outcome: x.outcome,
    resolution: x.resolution,
    notes: x.notes,
    createdAt: x.createdAt.toISOString(),
    acknowledgedAt: x.acknowledgedAt?.toISOString() ?? null,
    resolvedAt: x.resolvedAt?.toISOString() ?? null,
  };
}

/**
 * Records an escalation once per (enrollment, key) and returns it, with its assignee. Without an explicit
 * assignee (no owner CSM), a CSM serving the account's tier is picked by capacity-aware round robin
 * in the same transaction, so concurrent escalations never overfill anyone.
 */
export async function openEscalation(
  db: Db,
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
): Promise<typeof escalations.$inferSelect> {
  const { tier, ...values } = e;
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
    const found = row ?? (await find(q));
    if (!found) throw new Error("escalation vanished");
    return found;
  };
  if (e.assignee) return insert(db, e.assignee);
  // An escalation opened before keeps its pick; without a CSM for the tier there is none to make.
  const existing = await find(db);
  if (existing) return existing;
  if (!(await anyCsmServes(db, e.workspaceId, tier))) return insert(db, null);
  return db.transaction(async (tx) => {
    const t = tx as unknown as Db;
    await lockAssignments(t, e.workspaceId);
    return insert(t, await pickCsm(t, e.workspaceId, tier));
  });
}

export const EscalationListQuery = z.object({
  status: z.enum(escalationStatuses).optional(),
  assignee: z.string().optional(),
  priority: z.enum(escalationPriorities).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** The CSM inbox: most urgent deadline first. */
export async function listEscalations(
  db: Db,
  workspaceId: string,
  query: z.infer<typeof EscalationListQuery>,
) {
  const rows = await db
    .select({ x: escalations, account: accounts.externalId })
    .from(escalations)
    .innerJoin(accounts, eq(accounts.id, escalations.accountId))
    .where(
      and(
        eq(escalations.workspaceId, workspaceId),
        query.status ? eq(escalations.status, query.status) : undefined,
        query.assignee ? eq(escalations.assignee, query.assignee) : undefined,
        query.priority ? eq(escalations.priority, query.priority) : undefined,
      ),
    )
    .orderBy(asc(escalations.dueAt), asc(escalations.id))
    .limit(query.limit);
  return rows.map(toEscalation);
}

export async function getEscalation(db: Db, workspaceId: string, id: string): Promise<Escalation | null> {
  if (!isUuid(id)) return null;
  const [row] = await db
    .select({ x: escalations, account: accounts.externalId })
    .from(escalations)
    .innerJoin(accounts, eq(accounts.id, escalations.accountId))
    .where(and(eq(escalations.workspaceId, workspaceId), eq(escalations.id, id)));
  return row ? toEscalation(row) : null;
}

export type EscalationChange =
  | { ok: true; escalation: Escalation }
  | { ok: false; status: 404 | 409; detail: string }
  | { ok: false; status: 422; detail: string; pointer: string };

async function change(
  db: Db,
  workspaceId: string,
  id: string,
  from: readonly (typeof escalationStatuses)[number][],
  set: Partial<typeof escalations.$inferInsert>,
): Promise<EscalationChange> {
  const current = await getEscalation(db, workspaceId, id);
  if (!current) return { ok: false, status: 404, detail: `No escalation "${id}".` };
  const updated = await db
    .update(escalations)
    .set({ ...set, updatedAt: new Date() })
    .where(and(eq(escalations.id, id), inArray(escalations.status, [...from])))
    .returning({ id: escalations.id });
  if (updated.length === 0)
    return { ok: false, status: 409, detail: `The escalation is already ${current.status}.` };
  const escalation = await getEscalation(db, workspaceId, id);
  return escalation ? { ok: true, escalation } : { ok: false, status: 404, detail: `No escalation "${id}".` };
}

export function acknowledgeEscalation(db: Db, workspaceId: string, id: string) {
  return change(db, workspaceId, id, ["open"], { status: "acknowledged", acknowledgedAt: new Date() });
}

/**
 * Gives an open escalation to another CSM, who must exist in the workspace and be active, and tells
 * them by email (once per escalation and assignee).
 */
export async function reassignEscalation(
  deps: DeliveryDeps,
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
    if (!current) return { ok: false, status: 404, detail: `No escalation "${id}".` };
    return {
      ok: false,
      status: 422,
      pointer: "/assignee",
      detail: target
        ? `CSM "${assignee}" is inactive.`
        : `No CSM "${assignee}" in this workspace (add one with PUT /v1/csms/{email}).`,
    };
  }
  const result = await change(deps.db, workspaceId, id, ["open", "acknowledged"], { assignee });
  if (result.ok) await notifyAssignedQuietly(deps, [id], at);
  return result;
}

/**
 * The change is committed before anyone is told: a mail server that is down must not turn it into
 * an error (the SLA's reminder tells the assignee again), nor delay what the journey waits for.
 */
async function notifyAssignedQuietly(deps: DeliveryDeps, ids: string[], at: Date): Promise<void> {
  for (const id of ids) await notifyAssigned(deps, id, at).catch(() => undefined);
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
  deps: RuntimeDeps & { delivery?: DeliveryDeps },
  workspaceId: string,
  id: string,
  outcome: "resume" | "exit",
  notes: string | undefined,
  resolution?: string,
  at: Date = new Date(),
): Promise<EscalationChange> {
  const current = await getEscalation(deps.db, workspaceId, id);
  const repeated =
    current?.status === "resolved" &&
    current.outcome === outcome &&
    current.resolution === (resolution ?? null);
  const result: EscalationChange =
    current && repeated
      ? { ok: true, escalation: current }
      : await change(deps.db, workspaceId, id, ["open", "acknowledged"], {
          status: "resolved",
          outcome,
          resolution: resolution ?? null,
          notes: notes ?? null,
          resolvedAt: at,
        });
  if (!result.ok) return result;
  // The journey first: it waits for this, the CSMs' emails below can take a while.
  if (result.escalation.holdsJourney) await signalResolution(deps, id, outcome, resolution);
  if (!repeated && result.escalation.assignee) {
    const assigned = await assignWaiting(deps.db, workspaceId);
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
      if ((err as Error).name !== "WorkflowNotFoundError") throw err;
    }
  }
}

/**
 * Gives unassigned open escalations (most urgent first) to CSMs who have room now, under the
 * workspace's assignment lock. Returns the ids assigned.
 */
async function assignWaiting(db: Db, workspaceId: string, limit = 50): Promise<string[]> {
  return db.transaction(async (tx) => {
    const t = tx as unknown as Db;
    await lockAssignments(t, workspaceId);
    const waiting = await tx
      .select({ id: escalations.id, tier: accounts.tier })
      .from(escalations)
      .innerJoin(accounts, eq(accounts.id, escalations.accountId))
      .where(
        and(
          eq(escalations.workspaceId, workspaceId),
          eq(escalations.status, "open"),
          isNull(escalations.assignee),
        ),
      )
      .orderBy(asc(escalations.dueAt), asc(escalations.id))
      .limit(limit);
    const assigned: string[] = [];
    for (const w of waiting) {
      const assignee = await pickCsm(t, workspaceId, w.tier);
      if (!assignee) continue;
      await tx
        .update(escalations)
        .set({ assignee, updatedAt: new Date() })
        .where(and(eq(escalations.id, w.id), isNull(escalations.assignee)));
      assigned.push(w.id);
    }
    return assigned;
  });
}

const raised = { low: "medium", medium: "high", high: "urgent", urgent: "urgent" } as const;

/**
 * The SLA workflow's check. Still open at the reminder: remind the assignee. Still open at the
 * deadline: mark it breached, raise its priority one level and notify again. An escalation nobody had
 * room for gets the capacity-aware pick again first. The stage is recorded once (a retried activity
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
  const [peek] = await deps.db
    .select({ assignee: escalations.assignee, tier: accounts.tier })
    .from(escalations)
    .innerJoin(accounts, eq(accounts.id, escalations.accountId))
    .where(and(eq(escalations.workspaceId, input.workspaceId), eq(escalations.id, input.escalationId)));
  const mayPick =
    peek !== undefined &&
    peek.assignee === null &&
    (await anyCsmServes(deps.db, input.workspaceId, peek.tier));
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
    const assignee = x.assignee ?? (mayPick ? await pickCsm(t, input.workspaceId, found.tier) : null);
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
      .set({ ...stage, assignee, updatedAt: new Date() })
      .where(eq(escalations.id, x.id))
      .returning();
    return updated ? { x: updated, account: found.account } : null;
  });
  if (!row) return "resolved";
  await notifyEscalation(deps, {
    escalation: row.x,
    account: row.account,
    stage: input.stage,
    at: input.at,
    attempt: input.attempt ?? 1,
  });
  return "open";
}

const headline = {
  opened: "Escalated",
  assigned: "Assigned",
  reminder: "Reminder",
  breach: "SLA missed",
} as const;

/**
 * Tells people about an escalation, each message exactly once per stage: the assignee by email,
 * the workspace webhook (Slack-compatible) when one is set, and on an SLA breach the manager.
 * `assigned` (a reassign, or a CSM picked late) only emails the new assignee, once per assignee.
 * Returns the assignee email's outcome (the journey's trace records it).
 */
export async function notifyEscalation(
  deps: DeliveryDeps,
  n: {
    escalation: typeof escalations.$inferSelect;
    account: string;
    stage: "opened" | "assigned" | "reminder" | "breach";
    journey?: string;
    at: string;
    attempt: number;
  },
): Promise<TouchOutcome> {
  const x = n.escalation;
  const settings = await getSettings(deps.db, x.workspaceId);
  const base =
    n.stage === "opened"
      ? `escalation:${x.escalationKey}`
      : n.stage === "assigned"
        ? `escalation:${x.escalationKey}:assigned:${x.assignee}`
        : `escalation:${x.escalationKey}:${n.stage}`;
  const subject =
    n.stage === "opened"
      ? `[${x.priority}] ${n.account}: ${x.reason}`
      : n.stage === "assigned"
        ? `[${x.priority}] Assigned to you: ${n.account}: ${x.reason}`
        : n.stage === "reminder"
          ? `Reminder, due ${x.dueAt.toISOString()}: ${n.account}: ${x.reason}`
          : `[${x.priority}] SLA missed: ${n.account}: ${x.reason}`;
  const text = [
    x.reason,
    "",
    ...(n.journey ? [`Journey: ${n.journey}`] : []),
    `Assignee: ${x.assignee ?? "nobody (no CSM with room)"}`,
    `Priority: ${x.priority}`,
    `Due: ${x.dueAt.toISOString()}`,
    `Status: ${x.status}`,
  ].join("\n");
  const email = await notifyCsm(deps, {
    workspaceId: x.workspaceId,
    enrollmentId: x.enrollmentId,
    key: base,
    from: settings.email.from,
    to: x.assignee,
    subject,
    text,
    at: n.at,
  });
  if (n.stage === "assigned") return email;
  const { managerEmail, webhookUrl } = settings.notifications;
  if (n.stage === "breach" && managerEmail) {
    await notifyCsm(deps, {
      workspaceId: x.workspaceId,
      enrollmentId: x.enrollmentId,
      key: `${base}:manager`,
      from: settings.email.from,
      to: managerEmail,
      subject,
      text,
      at: n.at,
    });
  }
  if (webhookUrl) {
    await notifyWebhook(deps, {
      workspaceId: x.workspaceId,
      enrollmentId: x.enrollmentId,
      key: `${base}:webhook`,
      url: webhookUrl,
      text: `${headline[n.stage]}: ${subject}`,
      detail: {
        event: `escalation.${n.stage}`,
        escalation: {
          id: x.id,
          account: n.account,
          reason: x.reason,
          priority: x.priority,
          assignee: x.assignee,
          dueAt: x.dueAt.toISOString(),
        },
      },
      attempt: n.attempt,
    });
  }
  return email;
}
