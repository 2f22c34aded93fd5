import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { enrollments, enrollmentTrace, touches } from "../../../db/schema/index";
import { findJourneyRow, getVersion } from "./journeys";

export const JourneyStats = z
  .object({
    key: z.string(),
    enrollments: z.record(z.string(), z.number().int()).meta({ description: "Enrollments by status" }),
    goals: z.number().int(),
    steps: z.array(
      z.object({
        stepId: z.string(),
        type: z.string(),
        reached: z.number().int().meta({ description: "Enrollments that reached the step" }),
        touches: z.record(z.string(), z.number().int()).meta({ description: "Touches by delivery status" }),
      }),
    ),
  })
  .meta({ id: "JourneyStats" });
export type JourneyStats = z.infer<typeof JourneyStats>;

/** The per-step funnel of a journey across all its versions: three grouped queries. */
export async function journeyStats(db: Db, workspaceId: string, key: string): Promise<JourneyStats | null> {
  const row = await findJourneyRow(db, workspaceId, key);
  if (!row) return null;
  const byStatus = await db
    .select({
      status: enrollments.status,
      n: sql<number>`count(*)::int`,
      goals: sql<number>`count(${enrollments.goalReachedAt})::int`,
    })
    .from(enrollments)
    .where(eq(enrollments.journeyId, row.id))
    .groupBy(enrollments.status);
  const reached = await db
    .select({
      stepId: enrollmentTrace.stepId,
      n: sql<number>`count(distinct ${enrollmentTrace.enrollmentId})::int`,
    })
    .from(enrollmentTrace)
    .innerJoin(enrollments, eq(enrollments.id, enrollmentTrace.enrollmentId))
    .where(eq(enrollments.journeyId, row.id))
    .groupBy(enrollmentTrace.stepId);
  const sent = await db
    .select({ stepId: touches.stepId, status: touches.status, n: sql<number>`count(*)::int` })
    .from(touches)
    .innerJoin(enrollments, eq(enrollments.id, touches.enrollmentId))
    .where(eq(enrollments.journeyId, row.id))
    .groupBy(touches.stepId, touches.status);
  const definition = (
    row.latestVersion !== null ? (await getVersion(db, workspaceId, key))?.definition : row.draft
  ) as {
    steps?: { id: string; type: string }[];
  };
  return {
    key,
    enrollments: Object.fromEntries(byStatus.map((s) => [s.status, s.n])),
    goals: byStatus.reduce((sum, s) => sum + s.goals, 0),
    steps: (definition.steps ?? []).map((s) => ({
      stepId: s.id,
      type: s.type,
      reached: reached.find((r) => r.stepId === s.id)?.n ?? 0,
      touches: Object.fromEntries(sent.filter((t) => t.stepId === s.id).map((t) => [t.status, t.n])),
    })),
  };
}
