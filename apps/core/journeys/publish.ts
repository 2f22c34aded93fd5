import type { RuntimeDeps } from "../enrollments/runtime";
import type { Services } from "../shared/services";
import { templateCatalog } from "../templates/message-templates";
import { ensureRenewalSchedule } from "../workspace/schedules";
import { getVersion, type PublishResult, publishJourney } from "./journeys";

/**
 * Publishes a journey's draft as its next immutable version, and makes sure the workspace's daily
 * renewal scan exists when the journey is triggered by a renewal window.
 */
export async function publish(
  deps: RuntimeDeps & Pick<Services, "fileTemplates">,
  workspaceId: string,
  key: string,
): Promise<PublishResult> {
  const templates = await templateCatalog(deps.db, workspaceId, deps.fileTemplates);
  const result = await publishJourney(deps.db, workspaceId, key, templates, deps.clock.now());
  if (!result.ok) return result;
  const published = await getVersion(deps.db, workspaceId, key, result.version.version);
  if ((published?.definition.trigger as { type?: string } | undefined)?.type === "renewal_window") {
    await ensureRenewalSchedule(deps.client, deps.taskQueue, workspaceId);
  }
  return result;
}
