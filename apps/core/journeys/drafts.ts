import type { Services } from "../shared/services";
import { templateCatalog } from "../templates/message-templates";
import { getJourney, type Journey, type SaveDraftResult, saveDraft } from "./journeys";

/** What the journey use cases read: the database, the templates a journey may name, the clock. */
export type JourneyDeps = Pick<Services, "db" | "fileTemplates" | "clock">;

/** PUT of a journey's draft: saved as written, with what publishing would refuse (against the workspace's templates). */
export async function putJourneyDraft(
  deps: JourneyDeps,
  workspaceId: string,
  key: string,
  input: unknown,
): Promise<SaveDraftResult> {
  const templates = await templateCatalog(deps.db, workspaceId, deps.fileTemplates);
  return saveDraft(deps.db, workspaceId, key, input, templates, deps.clock.now());
}

/** A journey with its draft and the draft's problems; null when there is none. */
export async function showJourney(
  deps: JourneyDeps,
  workspaceId: string,
  key: string,
): Promise<Journey | null> {
  const templates = await templateCatalog(deps.db, workspaceId, deps.fileTemplates);
  return getJourney(deps.db, workspaceId, key, templates);
}
