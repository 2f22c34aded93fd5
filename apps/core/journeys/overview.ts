import { and, eq, inArray, max, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { enrollments, journeys, journeyVersions, touches } from "../../../db/schema/index";
import { findJourneyRow } from "./journeys";

const count = sql<number>`count(*)::int`;

export type JourneyOverview = {
  key: string;
  name: string;
  status: (typeof journeys.$inferSelect)["status"];
  liveVersion: number | null;
  /** Enrollments running now (active or held). */
  inJourney: number;
  completed: number;
  exited: number;
  total: number;
  /** Enrollments that reached the goal, of all that entered; null before the first. */
  goalRate: number | null;
  lastPublishedAt: Date | null;
};

/** Every journey of the workspace with what its runs did: three grouped queries, none per journey. */
export async function journeyOverviews(db: Db, workspaceId: string): Promise<JourneyOverview[]> {
  const rows = await db
    .select()
    .from(journeys)
    .where(eq(journeys.workspaceId, workspaceId))
    .orderBy(journeys.key);
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const byStatus = await db
    .select({
      journeyId: enrollments.journeyId,
      status: enrollments.status,
      n: count,
      goals: sql<number>`count(${enrollments.goalReachedAt})::int`,
    })
    .from(enrollments)
    .where(inArray(enrollments.journeyId, ids))
    .groupBy(enrollments.journeyId, enrollments.status);
  const published = await db
    .select({ journeyId: journeyVersions.journeyId, at: max(journeyVersions.publishedAt) })
    .from(journeyVersions)
    .where(inArray(journeyVersions.journeyId, ids))
    .groupBy(journeyVersions.journeyId);
  return rows.map((r) => {
    const mine = byStatus.filter((s) => s.journeyId === r.id);
    const of = (...statuses: string[]) =>
      mine.filter((s) => statuses.includes(s.status)).reduce((sum, s) => sum + s.n, 0);
    const total = mine.reduce((sum, s) => sum + s.n, 0);
    const goals = mine.reduce((sum, s) => sum + s.goals, 0);
    return {
      key: r.key,
      name: r.name,
      status: r.status,
      liveVersion: r.latestVersion,
      inJourney: of("active", "held"),
      completed: of("completed"),
      exited: of("exited"),
      total,
      goalRate: total > 0 ? goals / total : null,
      lastPublishedAt: published.find((p) => p.journeyId === r.id)?.at ?? null,
    };
  });
}

/** Enrollments a pause, resume or archive of the journey would touch: the ones running now. */
export async function runningEnrollments(db: Db, workspaceId: string, key: string): Promise<number | null> {
  const row = await findJourneyRow(db, workspaceId, key);
  if (!row) return null;
  const [found] = await db
    .select({ n: count })
    .from(enrollments)
    .where(and(eq(enrollments.journeyId, row.id), inArray(enrollments.status, ["active", "held"])));
  return found?.n ?? 0;
}

/** Touches not sent, per step and reason (quiet hours, frequency cap, unsubscribed, paused …). */
export async function heldTouches(
  db: Db,
  workspaceId: string,
  key: string,
): Promise<{ stepId: string; reason: string; n: number }[]> {
  const row = await findJourneyRow(db, workspaceId, key);
  if (!row) return [];
  const rows = await db
    .select({ stepId: touches.stepId, reason: touches.reason, n: count })
    .from(touches)
    .innerJoin(enrollments, eq(enrollments.id, touches.enrollmentId))
    .where(and(eq(enrollments.journeyId, row.id), inArray(touches.status, ["held", "skipped"])))
    .groupBy(touches.stepId, touches.reason);
  return rows.map((r) => ({ stepId: r.stepId, reason: r.reason ?? "unknown", n: r.n }));
}
