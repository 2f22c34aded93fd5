import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { healthScorecards } from "../../../db/schema/index";
import { ensureHealthSchedule, type ScheduleDeps } from "./schedules";
import { defaultScorecard, Scorecard } from "./scorecard";

/** The workspace's scorecard, or the default until one is saved. */
export async function getScorecard(
  db: Db,
  workspaceId: string,
): Promise<{ scorecard: Scorecard; isDefault: boolean }> {
  const [row] = await db.select().from(healthScorecards).where(eq(healthScorecards.workspaceId, workspaceId));
  return row
    ? { scorecard: Scorecard.parse(row.scorecard), isDefault: false }
    : { scorecard: defaultScorecard, isDefault: true };
}

/** Replaces the workspace's scorecard and moves its recompute Schedule to the scorecard's interval. */
export async function saveScorecard(
  deps: ScheduleDeps,
  workspaceId: string,
  scorecard: Scorecard,
  at: Date,
): Promise<Scorecard> {
  await deps.db
    .insert(healthScorecards)
    .values({ workspaceId, scorecard })
    .onConflictDoUpdate({ target: healthScorecards.workspaceId, set: { scorecard, updatedAt: at } });
  await ensureHealthSchedule(deps.client, deps.taskQueue, workspaceId, scorecard.every);
  return scorecard;
}
