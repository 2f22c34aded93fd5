import type { Services } from "../shared/services";
import {
  checkTemplate,
  findTemplate,
  findTemplateRows,
  type TemplateInput,
  type TemplateProblem,
  upsertTemplate,
} from "./message-templates";

export type SaveTemplateResult =
  | { ok: true; created: boolean; rows: Awaited<ReturnType<typeof findTemplateRows>> }
  | { ok: false; refusal: "invalid"; problems: TemplateProblem[] };

/**
 * Saves one locale of a workspace template after checking it parses and renders on the sample data
 * (against the copy it overrides); answers with every locale the workspace now holds for the key.
 */
export async function saveTemplate(
  deps: Pick<Services, "db" | "fileTemplates" | "renderer" | "clock">,
  workspaceId: string,
  key: string,
  input: TemplateInput,
): Promise<SaveTemplateResult> {
  const { db, fileTemplates, renderer } = deps;
  const problems = await checkTemplate(
    renderer,
    input,
    await findTemplate(db, fileTemplates, workspaceId, key),
  );
  if (problems.length > 0) return { ok: false, refusal: "invalid", problems };
  const { created } = await upsertTemplate(db, workspaceId, key, input, deps.clock.now());
  return { ok: true, created, rows: await findTemplateRows(db, workspaceId, key) };
}
