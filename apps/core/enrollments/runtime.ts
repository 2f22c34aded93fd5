import { WorkflowExecutionAlreadyStartedError } from "@temporalio/client";
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { enrollmentListeners, enrollments } from "../../../db/schema/index";
import { exitSignal, type JourneyRunWorkflow, resumeSignal } from "../../../workflows/contracts";
import type { Refusal } from "../shared/refusal";
import type { Services } from "../shared/services";
import { getEnrollment } from "./queries";
import type { Enrollment } from "./schemas";

/** What starting and signalling runs needs. */
export type RuntimeDeps = Pick<Services, "db" | "client" | "taskQueue" | "clock">;

/**
 * Starts the workflow of an enrollment row. An event routed since the row was written may have
 * started it already (see routeEventsToRuns): running, it is this run; closed, it ran and must not
 * run again.
 */
export async function startEnrollmentRun(
  deps: RuntimeDeps,
  row: { id: string; workspaceId: string; workflowId: string },
): Promise<void> {
  try {
    await deps.client.workflow.start<JourneyRunWorkflow>("journeyRun", {
      taskQueue: deps.taskQueue,
      workflowId: row.workflowId,
      args: [{ workspaceId: row.workspaceId, enrollmentId: row.id }],
      memo: { enrollmentId: row.id },
      workflowIdConflictPolicy: "USE_EXISTING",
      workflowIdReusePolicy: "REJECT_DUPLICATE",
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // A closed run under this id is this enrollment's only if it says so; one left by an enrollment
    // row that was deleted after an ambiguous start must not pass for this one.
    const owner = await runOwner(deps, row.workflowId);
    if (owner !== undefined && owner !== row.id) throw new RunOfAnotherEnrollment(row.workflowId, owner);
  }
}

/** The workflow id is taken by a run that belongs to another (deleted) enrollment row. */
export class RunOfAnotherEnrollment extends Error {
  constructor(workflowId: string, owner: string) {
    super(`workflow ${workflowId} already ran for another enrollment (${owner}); it is not run again`);
  }
}

/** The enrollment a journey run was started for (its memo), or undefined when there is none. */
export async function runOwner(deps: RuntimeDeps, workflowId: string): Promise<string | undefined> {
  try {
    const description = await deps.client.workflow.getHandle(workflowId).describe();
    const owner = description.memo?.enrollmentId;
    return typeof owner === "string" ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Asks a run to leave its journey; a run whose workflow is gone is closed in the database. */
export async function exitEnrollment(
  deps: RuntimeDeps,
  enrollment: Pick<Enrollment, "id" | "workflowId">,
  reason: string,
): Promise<void> {
  try {
    await deps.client.workflow.getHandle(enrollment.workflowId).signal(exitSignal, { reason });
  } catch (err) {
    if ((err as Error).name !== "WorkflowNotFoundError") throw err;
    await closeEnrollment(deps.db, enrollment.id, "exited", reason, deps.clock.now());
  }
}

export type ExitRequest =
  | { ok: true; enrollment: Enrollment }
  | { ok: false; refusal: Extract<Refusal, "not_found" | "conflict">; detail: string };

/** Takes an account out of a journey (the API's exit): only a run still active or held can leave. */
export async function requestExit(
  deps: RuntimeDeps,
  workspaceId: string,
  enrollmentId: string,
  reason: string,
): Promise<ExitRequest> {
  const enrollment = await getEnrollment(deps.db, workspaceId, enrollmentId);
  if (!enrollment) return { ok: false, refusal: "not_found", detail: `No enrollment "${enrollmentId}".` };
  if (enrollment.status !== "active" && enrollment.status !== "held") {
    return { ok: false, refusal: "conflict", detail: `The enrollment is already ${enrollment.status}.` };
  }
  await exitEnrollment(deps, enrollment, reason);
  return { ok: true, enrollment };
}

/**
 * Closes an enrollment whose workflow is gone (failed, terminated, timed out) in the database: its
 * status, and no more listening for events. Finished enrollments are left as they are.
 */
export async function closeEnrollment(
  db: Db,
  enrollmentId: string,
  status: "exited" | "failed",
  reason: string,
  at: Date,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const closed = await tx
      .update(enrollments)
      .set({ status, exitReason: reason, finishedAt: at })
      .where(and(eq(enrollments.id, enrollmentId), inArray(enrollments.status, ["active", "held"])))
      .returning({ id: enrollments.id });
    await tx.delete(enrollmentListeners).where(eq(enrollmentListeners.enrollmentId, enrollmentId));
    return closed.length > 0;
  });
}

/** A run failed for good (its workflow records it before failing): its enrollment is closed as failed. */
export async function closeFailedRun(
  db: Db,
  input: { workspaceId: string; enrollmentId: string; at: string; reason: string },
): Promise<void> {
  const [row] = await db
    .select({ id: enrollments.id })
    .from(enrollments)
    .where(and(eq(enrollments.workspaceId, input.workspaceId), eq(enrollments.id, input.enrollmentId)));
  if (row) await closeEnrollment(db, row.id, "failed", input.reason, new Date(input.at));
}

/** Fans a journey's resume or archive out to its running enrollments. */
export async function signalJourneyRuns(
  deps: RuntimeDeps,
  journeyId: string,
  action: "resume" | "archive",
): Promise<number> {
  const rows = await deps.db
    .select({ id: enrollments.id, workflowId: enrollments.workflowId })
    .from(enrollments)
    .where(
      and(
        eq(enrollments.journeyId, journeyId),
        inArray(enrollments.status, action === "resume" ? ["held", "active"] : ["active", "held"]),
      ),
    );
  for (const r of rows) {
    const handle = deps.client.workflow.getHandle(r.workflowId);
    try {
      if (action === "resume") await handle.signal(resumeSignal);
      else await handle.signal(exitSignal, { reason: "journey_archived" });
    } catch (err) {
      if ((err as Error).name !== "WorkflowNotFoundError") throw err;
      // The workflow is gone without having closed its row: archived, the journey closes it.
      if (action === "archive")
        await closeEnrollment(deps.db, r.id, "exited", "journey_archived", deps.clock.now());
    }
  }
  return rows.length;
}
