import { z } from "@hono/zod-openapi";
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { templates } from "../../db/schema";
import { isSuppliedVariable, type TemplateInfo } from "../../workflows/journey/variables";
import { extractVariables, type FileTemplate, toTemplateInfo } from "./templates";

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
    subject: z.string().min(1).max(300).optional().openapi({ description: "Required for email" }),
    body: z
      .string()
      .min(1)
      .max(200_000)
      .openapi({ description: "Handlebars: HTML for email, text for in-app" }),
    locale: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "must be a BCP 47 language tag such as en or ja")
      .default("en"),
  })
  .openapi("TemplateInput");
export type TemplateInput = z.infer<typeof TemplateInput>;

export const TemplateSummary = z
  .object({
    key: z.string(),
    channel: z.enum(["email", "in_app"]),
    category: z.string(),
    locales: z.array(z.string()),
    source: z.enum(["workspace", "file"]).openapi({ description: "workspace overrides file defaults" }),
    variables: z.array(z.string()),
  })
  .openapi("TemplateSummary");
export type TemplateSummary = z.infer<typeof TemplateSummary>;

export type TemplateProblem = { pointer: string; message: string };

/** Problems a template has on its own: syntax, a missing subject, variables no journey supplies. */
export function checkTemplate(input: TemplateInput): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  if (input.channel === "email" && !input.subject)
    problems.push({ pointer: "/subject", message: "an email needs a subject" });
  if (input.channel === "in_app" && input.subject) {
    problems.push({ pointer: "/subject", message: "in-app messages have no subject" });
  }
  for (const [field, source] of [
    ["subject", input.subject],
    ["body", input.body],
  ] as const) {
    if (source === undefined) continue;
    try {
      for (const variable of extractVariables(source)) {
        if (!isSuppliedVariable(variable)) {
          problems.push({ pointer: `/${field}`, message: `uses {{${variable}}}, which no journey supplies` });
        }
      }
    } catch (err) {
      problems.push({ pointer: `/${field}`, message: `handlebars syntax error: ${(err as Error).message}` });
    }
  }
  return problems;
}

export async function upsertTemplate(
  db: Db,
  workspaceId: string,
  key: string,
  input: TemplateInput,
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
      set: { ...values, updatedAt: new Date() },
    })
    .returning({ created: sql<boolean>`(xmax = 0)` });
  return { created: Boolean(row?.created) };
}

/** Every template a workspace can use: its own, and the file defaults it has not overridden. */
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
  const own = new Map<string, TemplateSummary>();
  for (const row of rows) {
    const summary = own.get(row.key) ?? {
      key: row.key,
      channel: row.channel,
      category: row.category,
      locales: [],
      source: "workspace" as const,
      variables: [],
    };
    summary.locales.push(row.locale);
    const used = new Set([
      ...summary.variables,
      ...safeVariables(row.body),
      ...safeVariables(row.subject ?? ""),
    ]);
    summary.variables = [...used].sort();
    own.set(row.key, summary);
  }
  const defaults = files
    .filter((f) => !own.has(f.key))
    .map((f) => ({
      key: f.key,
      channel: f.channel,
      category: f.category,
      locales: Object.keys(f.locales).sort(),
      source: "file" as const,
      variables: toTemplateInfo(f).variables,
    }));
  return [...own.values(), ...defaults].sort((a, b) => a.key.localeCompare(b.key));
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

function safeVariables(source: string): string[] {
  try {
    return extractVariables(source);
  } catch {
    return [];
  }
}
