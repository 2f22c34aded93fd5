import { z } from "zod";
import type { Db } from "../../../db/client";
import { workspaceContext } from "../delivery/message-context";
import { pickLocale, RenderError, type Rendered, type Renderer } from "../delivery/render";
import { getIdentity } from "../workspace/identity";
import type { FileTemplate } from "./files";
import { findTemplate, safeVariables } from "./message-templates";
import { sampleData } from "./sample-data";

/** A template's preview: what it renders to for a plausible contact, and the variables left empty. */

export const PreviewInput = z
  .strictObject({
    locale: z.string().min(2).max(10).optional().meta({ description: "Default: en (else the first locale)" }),
    data: z
      .record(z.string(), z.unknown())
      .default({})
      .meta({
        description:
          "Values merged over the sample data, e.g. { contact: { name: null } } to see the fallback",
        example: { account: { name: "Globex KK" }, contact: { locale: "ja", timezone: "Asia/Tokyo" } },
      }),
  })
  .meta({ id: "TemplatePreviewInput" });
export type PreviewInput = z.infer<typeof PreviewInput>;

export const Preview = z
  .object({
    key: z.string(),
    channel: z.enum(["email", "in_app"]),
    locale: z.string(),
    subject: z.string().nullable(),
    html: z.string(),
    text: z.string(),
    missing: z
      .array(z.string())
      .meta({ description: "Variables the template uses that the data leaves empty" }),
  })
  .meta({ id: "TemplatePreview" });
export type Preview = z.infer<typeof Preview>;

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = base[k];
    out[k] =
      v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b)
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

function valueAt(data: Record<string, unknown>, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>(
      (v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined),
      data,
    );
}

export type PreviewResult =
  | { ok: true; preview: Preview }
  | { ok: false; refusal: "not_found" }
  /**
   * Not renderable with the caller's data (a helper given an object where it needs text, a list that
   * renders past the output limit), or a template stored before the limits: at `/data`.
   */
  | { ok: false; refusal: "invalid"; message: string };

/**
 * Renders the workspace's template (or the file default) for a sample contact of a sample account,
 * from the workspace as it really is (its identity: name, app link, footer), with the given values over.
 */
export async function previewTemplate(
  db: Db,
  files: FileTemplate[],
  renderer: Renderer,
  workspaceId: string,
  key: string,
  input: PreviewInput,
): Promise<PreviewResult> {
  const template = await findTemplate(db, files, workspaceId, key);
  const channel = template?.channel;
  const locales = template?.locales ?? {};
  const identity = await getIdentity(db, workspaceId);
  const real = identity && { workspace: workspaceContext(identity), links: { app: identity.appUrl } };
  const data = merge(real ? merge(sampleData, real) : sampleData, input.data);
  const contact = data.contact as { locale?: string } | undefined;
  const locale = pickLocale(Object.keys(locales), input.locale ?? contact?.locale);
  const version = locale ? locales[locale] : undefined;
  if (!channel || !locale || !version) return { ok: false, refusal: "not_found" };
  const context = merge(data, { contact: { locale } });
  // Saved templates render on the sample data (`checkTemplate`), so a failure here mostly comes from
  // the caller's data, e.g. a helper given an object where it needs text.
  let rendered: Rendered;
  try {
    rendered = await renderer.render(version, context, { layout: channel === "email" });
  } catch (err) {
    if (!(err instanceof RenderError)) throw err;
    return { ok: false, refusal: "invalid", message: err.message };
  }
  const used = [...new Set([...safeVariables(version.subject ?? ""), ...safeVariables(version.body)])];
  const preview: Preview = {
    key,
    channel,
    locale,
    subject: rendered.subject ?? null,
    html: rendered.html,
    text: rendered.text,
    missing: used
      .filter((v) => {
        const value = valueAt(data, v);
        return value === undefined || value === null || value === "";
      })
      .sort(),
  };
  return { ok: true, preview };
}
