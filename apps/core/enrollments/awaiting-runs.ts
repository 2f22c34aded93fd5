import { and, asc, eq, inArray, isNotNull } from "drizzle-orm";
import { enrollments } from "../../../db/schema/index";
import { inParallel } from "../shared/in-parallel";
import { isTemporalUnavailable } from "../shared/temporal-unavailable";
import { RunOfAnotherEnrollment, type RuntimeDeps, startEnrollmentRun } from "./runtime";

const BATCH = 500;
const IN_FLIGHT = 16;

/**
 * Starts the runs of enrollments triggered while Temporal was away (enrollMany's
 * `deferWhenTemporalAway`), oldest first; called at start and each time Temporal comes back. Returns
 * how many started; throws at the first failure (Temporal away again), and the next catch-up goes on.
 */
export async function startAwaitingRuns(deps: RuntimeDeps): Promise<number> {
  let started = 0;
  for (;;) {
    const rows = await deps.db
      .select({
        id: enrollments.id,
        workspaceId: enrollments.workspaceId,
        workflowId: enrollments.workflowId,
      })
      .from(enrollments)
      .where(and(isNotNull(enrollments.awaitingRunSince), inArray(enrollments.status, ["active", "held"])))
      .orderBy(asc(enrollments.awaitingRunSince))
      .limit(BATCH);
    if (rows.length === 0) return started;
    let away: unknown;
    await inParallel(rows, IN_FLIGHT, async (row) => {
      if (away) return;
      try {
        await startEnrollmentRun(deps, row);
        await deps.db.update(enrollments).set({ awaitingRunSince: null }).where(eq(enrollments.id, row.id));
        started++;
      } catch (err) {
        if (isTemporalUnavailable(err)) {
          away = err;
          return;
        }
        // Its workflow id already ran for a deleted enrollment: as enrollMany does, no run, no enrollment.
        if (err instanceof RunOfAnotherEnrollment) {
          await deps.db.delete(enrollments).where(eq(enrollments.id, row.id));
          return;
        }
        away = err; // the caller logs it; the next catch-up tries again
      }
    });
    if (away) throw away;
  }
}
