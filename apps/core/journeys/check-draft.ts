import { validateJourney } from "../../../workflows/journey/validate";
import { templateCatalog } from "../templates/message-templates";
import type { JourneyDeps } from "./drafts";
import { findJourneyRow } from "./journeys";

export type DraftProblem = { pointer: string; message: string };

/**
 * What saving `input` as the draft of `key` would report, without saving it: the editor asks this as
 * the author types. The same rules as `saveDraft` (the URL's key, then `validateJourney` against the
 * workspace's templates). Null when the workspace has no journey of that key.
 */
export async function checkJourneyDraft(
  deps: JourneyDeps,
  workspaceId: string,
  key: string,
  input: unknown,
): Promise<DraftProblem[] | null> {
  if (!(await findJourneyRow(deps.db, workspaceId, key))) return null;
  const isObject = input !== null && typeof input === "object" && !Array.isArray(input);
  const withKey = isObject ? { key, ...input } : input;
  const templates = await templateCatalog(deps.db, workspaceId, deps.fileTemplates);
  const problems = validateJourney(withKey, templates).problems.map(({ pointer, message }) => ({
    pointer,
    message,
  }));
  const keyed = (withKey as { key?: unknown } | null)?.key;
  if (isObject && keyed !== key && !problems.some((p) => p.pointer === "/key"))
    problems.unshift({ pointer: "/key", message: `must be "${key}", the key in the URL` });
  return problems;
}
