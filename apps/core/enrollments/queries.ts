import { and, asc, desc, eq, lt, or } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, enrollments, enrollmentTrace, journeys } from "../../../db/schema/index";
import { decodeTimeCursor, toPage } from "../shared/pagination";
import { isUuid } from "../shared/uuid";
import {
  type Enrollment,
  type EnrollmentListQuery,
  enrollmentColumns,
  type TraceEntry,
  toEnrollment,
} from "./schemas";

/** Newest first, keyset-paginated on (entered_at, id). */
export async function listEnrollments(db: Db, workspaceId: string, query: EnrollmentListQuery) {
  const after = decodeTimeCursor(query.cursor);
  const rows = await db
    .select(enrollmentColumns)
    .from(enrollments)
    .innerJoin(journeys, eq(journeys.id, enrollments.journeyId))
    .innerJoin(accounts, eq(accounts.id, enrollments.accountId))
    .where(
      and(
        eq(enrollments.workspaceId, workspaceId),
        query.journey ? eq(journeys.key, query.journey) : undefined,
        query.account ? eq(accounts.externalId, query.account) : undefined,
        query.status ? eq(enrollments.status, query.status) : undefined,
        after
          ? or(
              lt(enrollments.enteredAt, after.at),
              and(eq(enrollments.enteredAt, after.at), lt(enrollments.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(enrollments.enteredAt), desc(enrollments.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (r) => [r.e.enteredAt.toISOString(), r.e.id], toEnrollment);
}

export async function getEnrollment(db: Db, workspaceId: string, id: string): Promise<Enrollment | null> {
  if (!isUuid(id)) return null;
  const [row] = await db
    .select(enrollmentColumns)
    .from(enrollments)
    .innerJoin(journeys, eq(journeys.id, enrollments.journeyId))
    .innerJoin(accounts, eq(accounts.id, enrollments.accountId))
    .where(and(eq(enrollments.workspaceId, workspaceId), eq(enrollments.id, id)));
  return row ? toEnrollment(row) : null;
}

/** An enrollment's decision trace, oldest first. */
async function getTrace(db: Db, enrollmentId: string): Promise<TraceEntry[]> {
  const rows = await db
    .select()
    .from(enrollmentTrace)
    .where(eq(enrollmentTrace.enrollmentId, enrollmentId))
    .orderBy(asc(enrollmentTrace.transition), asc(enrollmentTrace.position));
  return rows.map((r) => ({ at: r.at.toISOString(), stepId: r.stepId, kind: r.kind, detail: r.detail }));
}

/** An enrollment of the workspace with its trace, or null when there is no such enrollment. */
export async function getEnrollmentWithTrace(
  db: Db,
  workspaceId: string,
  id: string,
): Promise<{ enrollment: Enrollment; trace: TraceEntry[] } | null> {
  const enrollment = await getEnrollment(db, workspaceId, id);
  return enrollment ? { enrollment, trace: await getTrace(db, enrollment.id) } : null;
}
