import { createRoute, z } from "@hono/zod-openapi";
import { TemplateKey } from "../../../workflows/journey/schema";
import {
  findTemplateRows,
  listTemplates,
  TemplateInput,
  TemplateSummary,
} from "../../core/templates/message-templates";
import { saveTemplate } from "../../core/templates/save-template";
import { Preview, PreviewInput, previewTemplate } from "../../core/templates/template-preview";
import { bearerSecurity, createRouter, pathParam, problemResponses } from "../openapi";
import { ProblemError, statusOfRefusal } from "../problem";

const KeyParam = z.object({ key: pathParam("key", TemplateKey, "onboarding-welcome") });

const TemplateLocale = z
  .object({
    key: z.string(),
    locale: z.string(),
    channel: z.enum(["email", "in_app"]),
    category: z.string(),
    subject: z.string().nullable(),
    body: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Template" });

export const putTemplateRoute = createRoute({
  method: "put",
  path: "/templates/{key}",
  operationId: "upsertTemplate",
  tags: ["Templates"],
  summary: "Create or replace a message template for one locale (overrides the file default)",
  security: bearerSecurity,
  request: {
    params: KeyParam,
    body: { required: true, content: { "application/json": { schema: TemplateInput } } },
  },
  responses: {
    200: { description: "Updated", content: { "application/json": { schema: z.array(TemplateLocale) } } },
    201: { description: "Created", content: { "application/json": { schema: z.array(TemplateLocale) } } },
    ...problemResponses(400, 401, 422),
  },
});

export const listTemplatesRoute = createRoute({
  method: "get",
  path: "/templates",
  operationId: "listTemplates",
  tags: ["Templates"],
  summary: "Every template the workspace can use: its own and the file defaults",
  security: bearerSecurity,
  responses: {
    200: {
      description: "Templates by key",
      content: { "application/json": { schema: z.object({ data: z.array(TemplateSummary) }) } },
    },
    ...problemResponses(401),
  },
});

export const getTemplateRoute = createRoute({
  method: "get",
  path: "/templates/{key}",
  operationId: "getTemplate",
  tags: ["Templates"],
  summary: "A workspace template, every locale",
  security: bearerSecurity,
  request: { params: KeyParam },
  responses: {
    200: {
      description: "The template's locales",
      content: { "application/json": { schema: z.array(TemplateLocale) } },
    },
    ...problemResponses(401, 404),
  },
});

export const previewTemplateRoute = createRoute({
  method: "post",
  path: "/templates/{key}/preview",
  operationId: "previewTemplate",
  tags: ["Templates"],
  summary: "Render a template with sample data (or yours) and list the variables it leaves empty",
  security: bearerSecurity,
  request: {
    params: KeyParam,
    body: { required: false, content: { "application/json": { schema: PreviewInput } } },
  },
  responses: {
    200: { description: "The rendered message", content: { "application/json": { schema: Preview } } },
    ...problemResponses(400, 401, 404, 422),
  },
});

function toLocales(rows: Awaited<ReturnType<typeof findTemplateRows>>) {
  return rows.map((r) => ({
    key: r.key,
    locale: r.locale,
    channel: r.channel,
    category: r.category,
    subject: r.subject,
    body: r.body,
    updatedAt: r.updatedAt.toISOString(),
  }));
}

export function templatesRouter() {
  return createRouter()
    .openapi(putTemplateRoute, async (c) => {
      const { key } = c.req.valid("param");
      const input = c.req.valid("json");
      const result = await saveTemplate(c.var.deps, c.var.workspaceId, key, input);
      if (!result.ok) {
        throw new ProblemError({
          status: statusOfRefusal(result.refusal),
          type: "validation",
          title: "The template is not valid",
          errors: result.problems,
        });
      }
      const rows = toLocales(result.rows);
      return result.created ? c.json(rows, 201) : c.json(rows, 200);
    })
    .openapi(listTemplatesRoute, async (c) => {
      const data = await listTemplates(c.var.deps.db, c.var.workspaceId, c.var.deps.fileTemplates);
      return c.json({ data }, 200);
    })
    .openapi(previewTemplateRoute, async (c) => {
      const { key } = c.req.valid("param");
      const { deps, workspaceId } = c.var;
      // A JSON body was checked by the route's validator (422 with pointers) and any other body refused
      // (415); without one the preview uses the sample data alone.
      const input = (c.req.header("content-type") ?? "").includes("json")
        ? c.req.valid("json")
        : PreviewInput.parse({});
      const result = await previewTemplate(
        deps.db,
        deps.fileTemplates,
        deps.renderer,
        workspaceId,
        key,
        input,
      );
      if (result.ok) return c.json(result.preview, 200);
      if (result.refusal === "not_found")
        throw new ProblemError({
          status: statusOfRefusal(result.refusal),
          type: "not-found",
          detail: `No template "${key}".`,
        });
      throw new ProblemError({
        status: statusOfRefusal(result.refusal),
        type: "validation",
        detail: "The template cannot be rendered with this data.",
        errors: [{ pointer: "/data", message: result.message }],
      });
    })
    .openapi(getTemplateRoute, async (c) => {
      const { key } = c.req.valid("param");
      const rows = await findTemplateRows(c.var.deps.db, c.var.workspaceId, key);
      if (rows.length === 0) {
        throw new ProblemError({
          status: 404,
          type: "not-found",
          detail: `No workspace template "${key}" (file defaults are listed by GET /v1/templates).`,
        });
      }
      return c.json(toLocales(rows), 200);
    });
}
