import { and, eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { enrollments, journeyVersions } from "../../../db/schema/index";
import type { LoadedRun, RunRef } from "../../../workflows/contracts";
import { JourneyDefinition } from "../../../workflows/journey/schema";
import { PermanentFailure } from "./permanent-failure";

/** What a journey run starts from: its journey version, account and entry time. */
export async function loadRun(db: Db, { workspaceId, enrollmentId }: RunRef): Promise<LoadedRun> {
  const [row] = await db
    .select({
      definition: journeyVersions.definition,
      accountId: enrollments.accountId,
      enteredAt: enrollments.enteredAt,
    })
    .from(enrollments)
    .innerJoin(journeyVersions, eq(journeyVersions.id, enrollments.journeyVersionId))
    .where(and(eq(enrollments.workspaceId, workspaceId), eq(enrollments.id, enrollmentId)));
  if (!row) throw new PermanentFailure(`no enrollment ${enrollmentId}`);
  const journey = JourneyDefinition.safeParse(row.definition);
  // A stored version that does not parse never will: retrying cannot help.
  if (!journey.success)
    throw new PermanentFailure(
      `journey version of enrollment ${enrollmentId} does not parse: ${journey.error.message}`,
    );
  return {
    journey: journey.data,
    accountId: row.accountId,
    enteredAt: row.enteredAt.toISOString(),
  };
}
