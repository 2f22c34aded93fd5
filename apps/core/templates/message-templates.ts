import { and, asc, eq, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { templates } from "../../../db/schema/index";
import { isSuppliedVariable, type TemplateInfo } from "../../../workflows/journey/variables";
import type { Renderer } from "../delivery/render";
import { extractVariables, type FileTemplate, toTemplateInfo } from "./files";
import { sampleData } from "./sample-data";

/**
 * Message templates of a workspace: the file templates under templates/messages are the defaults for
 * every workspace, and `PUT /v1/templates/{key}` overrides them per locale.
 */

export const TemplateInput = z
  .strictObject({
    channel: z.enum(["email", "in_app"]),
    category: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,49}$/, "must be lower-case letters, digits or _, e.g. onboarding, renewal"),
    subject: z.string().min(1).max(300).optional().meta({ description: "Required for email" }),
    body: z.string().min(1).max(200_000).meta({ description: "Handlebars: HTML for email, text for in-app" }),
    locale: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "must be a BCP 47 language tag such as en or ja")
      .default("en"),
  })
  .meta({ id: "TemplateInput" });
export type TemplateInput = z.infer<typeof TemplateInput>;

export const TemplateSummary = z
  .object({
    key: z.string(),
    channel: z.enum(["email", "in_app"]),
    category: z.string(),
    locales: z.array(z.string()),
    source: z.enum(["workspace", "file"]).meta({ description: "workspace overrides file defaults" }),
    variables: z.array(z.string()),
  })
  .meta({ id: "TemplateSummary" });
export type TemplateSummary = z.infer<typeof TemplateSummary>;

export type TemplateProblem = { pointer: string; message: string };

/**
 * Problems a template has: syntax, a missing subject, variables no journey supplies, a channel
 * other than the existing template's (file default or workspace locales: published journeys send
 * it by key on that channel), and what the render sandbox refuses (render-limits.ts: partials too
 * deep or too many, output too large or too slow; `{{log}}`; `javascript:` and `data:` links).
 */
export async function checkTemplate(
  renderer: Renderer,
  input: TemplateInput,
  existing?: TemplateCopy | null,
): Promise<TemplateProblem[]> {
  const problems: TemplateProblem[] = [];
  if (existing && existing.channel !== input.channel) {
    problems.push({
      pointer: "/channel",
      message: `${existing.key} is an ${existing.channel} template and journeys send it as one; use another key for ${input.channel}`,
    });
  }
  if (input.channel === "email" && !input.subject)
    problems.push({ pointer: "/subject", message: "an email needs a subject" });
  if (input.channel === "in_app" && input.subject) {
    problems.push({ pointer: "/subject", message: "in-app messages have no subject" });
  }
  const fields = (["subject", "body"] as const).flatMap((field) => {
    const source = input[field];
    return source === undefined ? [] : [{ field, source }];
  });
  const checked = await Promise.all(
    fields.map(async ({ field, source }): Promise<TemplateProblem[]> => {
      const pointer = `/${field}`;
      try {
        const unknown = extractVariables(source).filter((variable) => !isSuppliedVariable(variable));
        if (unknown.length > 0)
          return unknown.map((v) => ({ pointer, message: `uses {{${v}}}, which no journey supplies` }));
      } catch (err) {
        return [{ pointer, message: `handlebars syntax error: ${(err as Error).message}` }];
      }
      // What parses can still fail every render (`{{#if}}` without its argument, a partial that does
      // not exist, partials nested too deep): render it on the sample data in the sandbox, so it
      // never reaches a journey's send or a preview.
      const template = field === "body" ? { body: source } : { subject: source, body: "" };
      const refused = await renderer.check(template, sampleData, { layout: input.channel === "email" });
      return refused.map((message) => ({ pointer, message }));
    }),
  );
  return [...problems, ...checked.flat()];
}

export async function upsertTemplate(
  db: Db,
  workspaceId: string,
  key: string,
  input: TemplateInput,
  at: Date,
): Promise<{ created: boolean }> {
  const values = {
    channel: input.channel,
    category: input.category,
    subject: input.subject ?? null,
    body: input.body,
  };
  const [row] = await db
    .insert(templates)
    .values({ workspaceId, key, locale: input.locale, ...values })
    .onConflictDoUpdate({
      target: [templates.workspaceId, templates.key, templates.locale],
      set: { ...values, updatedAt: at },
    })
    .returning({ created: sql<boolean>`(xmax = 0)` });
  return { created: Boolean(row?.created) };
}

/** What a template row gives a message: its copy in one locale. */
export type TemplateRow = Pick<
  typeof templates.$inferSelect,
  "key" | "locale" | "channel" | "category" | "subject" | "body"
>;

/**
 * The workspace's rows of the templates `keys`, in a select from `accounts` (its workspace, qualified
 * by hand as in facts.ts), as one jsonb array in key and locale order: read with the run context.
 */
export function templateRowsSql(keys: string[] | SQL): SQL<TemplateRow[]> {
  // An SQL `keys` is a jsonb array of keys (a prepared statement's parameter).
  const keyIn = Array.isArray(keys)
    ? sql`t.key in ${keys}`
    : sql`t.key in (select jsonb_array_elements_text(${keys}))`;
  return sql<TemplateRow[]>`(select coalesce(jsonb_agg(jsonb_build_object(
      'key', t.key, 'locale', t.locale, 'channel', t.channel, 'category', t.category,
      'subject', t.subject, 'body', t.body) order by t.key, t.locale), '[]'::jsonb)
    from templates t where t.workspace_id = "accounts"."workspace_id" and ${keyIn})`;
}

/** A template as a workspace sends it: one channel and category, copy per locale. */
export type TemplateCopy = {
  key: string;
  channel: "email" | "in_app";
  category: string;
  /** In-app only: how the widget shows it (from the file's manifest). */
  style?: "banner" | "modal";
  source: "workspace" | "file";
  locales: Record<string, { subject?: string | null; body: string }>;
};

/**
 * The file template with the workspace's rows laid over it locale by locale: overriding `en` keeps
 * the file's `ja`. The workspace's channel and category win (a PUT cannot change the channel).
 */
export function mergeTemplate(rows: TemplateRow[], file: FileTemplate | undefined): TemplateCopy | null {
  const [first] = rows;
  const channel = first?.channel ?? file?.channel;
  const key = first?.key ?? file?.key;
  if (!channel || !key) return null;
  const locales: TemplateCopy["locales"] = { ...file?.locales };
  for (const row of rows) locales[row.locale] = { subject: row.subject, body: row.body };
  return {
    key,
    channel,
    category: first?.category ?? file?.category ?? "general",
    ...(file?.style ? { style: file.style } : {}),
    source: first ? "workspace" : "file",
    locales,
  };
}

/** One template of a workspace (its rows over the file default), or null when neither exists. */
export async function findTemplate(
  db: Db,
  files: FileTemplate[],
  workspaceId: string,
  key: string,
): Promise<TemplateCopy | null> {
  return mergeTemplate(
    await findTemplateRows(db, workspaceId, key),
    files.find((f) => f.key === key),
  );
}

/** Every template a workspace can use: the file defaults with its own locales over them, and its own. */
export async function listTemplates(
  db: Db,
  workspaceId: string,
  files: FileTemplate[],
): Promise<TemplateSummary[]> {
  const rows = await db
    .select()
    .from(templates)
    .where(eq(templates.workspaceId, workspaceId))
    .orderBy(asc(templates.key), asc(templates.locale));
  const rowsByKey = new Map<string, TemplateRow[]>();
  for (const row of rows) rowsByKey.set(row.key, [...(rowsByKey.get(row.key) ?? []), row]);
  const filesByKey = new Map(files.map((f) => [f.key, f]));
  const keys = [...new Set([...rowsByKey.keys(), ...filesByKey.keys()])].sort();
  return keys.flatMap((key) => {
    const copy = mergeTemplate(rowsByKey.get(key) ?? [], filesByKey.get(key));
    if (!copy) return [];
    const variables = new Set(
      Object.values(copy.locales).flatMap((v) => [
        ...safeVariables(v.body),
        ...safeVariables(v.subject ?? ""),
      ]),
    );
    return [
      {
        key,
        channel: copy.channel,
        category: copy.category,
        locales: Object.keys(copy.locales).sort(),
        source: copy.source,
        variables: [...variables].sort(),
      },
    ];
  });
}

/** The lookup the journey validator uses: workspace templates first, then the file defaults. */
export async function templateCatalog(
  db: Db,
  workspaceId: string,
  files: FileTemplate[],
): Promise<(key: string) => TemplateInfo | undefined> {
  const summaries = await listTemplates(db, workspaceId, files);
  const byKey = new Map(
    summaries.map((s) => [s.key, { key: s.key, channel: s.channel, variables: s.variables }]),
  );
  return (key) => byKey.get(key);
}

/** The lookup for file templates only (the CLI, offline). */
export function fileTemplateCatalog(files: FileTemplate[]): (key: string) => TemplateInfo | undefined {
  const byKey = new Map(files.map((f) => [f.key, toTemplateInfo(f)]));
  return (key) => byKey.get(key);
}

export async function findTemplateRows(db: Db, workspaceId: string, key: string) {
  return db
    .select()
    .from(templates)
    .where(and(eq(templates.workspaceId, workspaceId), eq(templates.key, key)))
    .orderBy(asc(templates.locale));
}

/** The variables a template's text uses; none when it does not parse (its check says why). */
export function safeVariables(source: string): string[] {
  try {
    return extractVariables(source);
  } catch {
    return [];
  }
}
