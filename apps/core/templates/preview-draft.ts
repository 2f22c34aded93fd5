import { workspaceContext } from "../delivery/message-context";
import { RenderError } from "../delivery/render";
import type { Services } from "../shared/services";
import { getIdentity } from "../workspace/identity";
import { extractVariables } from "./files";
import { checkTemplate, findTemplate, type TemplateProblem } from "./message-templates";
import { sampleData } from "./sample-data";
import type { Preview } from "./template-preview";

export type TemplateDraft = { locale: string; subject?: string | undefined; body: string };

export type DraftPreviewResult =
  | { ok: true; preview: Preview }
  | { ok: false; refusal: "not_found" }
  | { ok: false; refusal: "invalid"; problems: TemplateProblem[] };

/**
 * What one locale of a template would render to if saved as typed: the same checks as saving
 * (`checkTemplate`, so a refused draft shows its problems instead of a frame), then the render on the
 * sample data with the workspace's identity, as `previewTemplate` renders a saved one.
 */
export async function previewDraft(
  deps: Pick<Services, "db" | "fileTemplates" | "renderer">,
  workspaceId: string,
  key: string,
  draft: TemplateDraft,
): Promise<DraftPreviewResult> {
  const { db, fileTemplates, renderer } = deps;
  const copy = await findTemplate(db, fileTemplates, workspaceId, key);
  if (!copy) return { ok: false, refusal: "not_found" };
  const subject = copy.channel === "email" ? draft.subject : undefined;
  const input = { channel: copy.channel, category: copy.category, locale: draft.locale, body: draft.body };
  const problems = await checkTemplate(renderer, subject === undefined ? input : { ...input, subject }, copy);
  if (problems.length > 0) return { ok: false, refusal: "invalid", problems };
  const identity = await getIdentity(db, workspaceId);
  const data = {
    ...sampleData,
    ...(identity
      ? { workspace: workspaceContext(identity), links: { ...sampleData.links, app: identity.appUrl } }
      : {}),
    contact: { ...sampleData.contact, locale: draft.locale },
  };
  const version = { ...(subject === undefined ? {} : { subject }), body: draft.body };
  try {
    const rendered = await renderer.render(version, data, { layout: copy.channel === "email" });
    const used = new Set([...extractVariables(subject ?? ""), ...extractVariables(draft.body)]);
    return {
      ok: true,
      preview: {
        key,
        channel: copy.channel,
        locale: draft.locale,
        subject: rendered.subject ?? null,
        html: rendered.html,
        text: rendered.text,
        missing: [...used].filter((v) => isEmpty(valueAt(data, v))).sort(),
      },
    };
  } catch (err) {
    if (!(err instanceof RenderError)) throw err;
    return { ok: false, refusal: "invalid", problems: [{ pointer: "/body", message: err.message }] };
  }
}

const isEmpty = (value: unknown) => value === undefined || value === null || value === "";

function valueAt(data: object, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>(
      (v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined),
      data,
    );
}
