import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { journeys } from "../../../db/schema/index";

/** The workspace's paused journeys (key and name), for the settings' delivery policy. */
export async function pausedJourneys(db: Db, workspaceId: string): Promise<{ key: string; name: string }[]> {
  return db
    .select({ key: journeys.key, name: journeys.name })
    .from(journeys)
    .where(and(eq(journeys.workspaceId, workspaceId), eq(journeys.status, "paused")))
    .orderBy(asc(journeys.key));
}
