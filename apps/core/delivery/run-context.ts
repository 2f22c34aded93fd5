import { and, eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, enrollments, journeys, workspaces } from "../../../db/schema/index";
import type { Logger } from "../../logger";
import { identityOf, type WorkspaceIdentity } from "../workspace/identity";
import { type Settings, settingsOf } from "../workspace/settings";

/** What a run's transition and every touch in it need to know: its journey, account and workspace. */
export type RunContext = {
  journeyStatus: typeof journeys.$inferSelect.status;
  /** The enrollment itself is paused (bulk pause), whatever its journey's status. */
  enrollmentPausedAt: Date | null;
  journeyName: string;
  account: typeof accounts.$inferSelect;
  workspace: WorkspaceIdentity;
  secret: string;
  settings: Settings;
};

/** The run context of an enrollment, in one query; undefined when the enrollment is not found. */
export async function loadRunContext(
  db: Db,
  workspaceId: string,
  enrollmentId: string,
  log?: Pick<Logger, "warn">,
): Promise<RunContext | undefined> {
  const [row] = await db
    .select({
      journeyStatus: journeys.status,
      enrollmentPausedAt: enrollments.pausedAt,
      journeyName: journeys.name,
      account: accounts,
      workspaceName: workspaces.name,
      identity: workspaces.identity,
      secret: workspaces.signingSecret,
      settings: workspaces.settings,
    })
    .from(enrollments)
    .innerJoin(journeys, eq(journeys.id, enrollments.journeyId))
    .innerJoin(accounts, eq(accounts.id, enrollments.accountId))
    .innerJoin(workspaces, eq(workspaces.id, enrollments.workspaceId))
    .where(and(eq(enrollments.id, enrollmentId), eq(enrollments.workspaceId, workspaceId)));
  if (!row) return undefined;
  const { workspaceName, identity, ...rest } = row;
  const workspace = identityOf(workspaceName, identity);
  return { ...rest, workspace, settings: settingsOf(row.settings, log, workspace) };
}
