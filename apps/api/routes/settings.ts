import { createRoute } from "@hono/zod-openapi";
import { getSettings, putSettings, Settings } from "../../core/workspace/settings";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { ProblemError, statusOfRefusal } from "../problem";

const getRoute = createRoute({
  method: "get",
  path: "/settings",
  tags: ["Settings"],
  summary: "The workspace's settings, defaults filled in",
  security: bearerSecurity,
  responses: {
    200: { description: "Settings", content: { "application/json": { schema: Settings } } },
    ...problemResponses(401),
  },
});

const putRoute = createRoute({
  method: "put",
  path: "/settings",
  tags: ["Settings"],
  summary: "Replace the workspace's settings (notifications)",
  security: bearerSecurity,
  request: { body: { required: true, content: { "application/json": { schema: Settings } } } },
  responses: {
    200: { description: "Saved", content: { "application/json": { schema: Settings } } },
    ...problemResponses(400, 401, 422),
  },
});

export function settingsRouter() {
  return createRouter()
    .openapi(getRoute, async (c) =>
      c.json(await getSettings(c.var.deps.db, c.var.workspaceId, c.var.deps.log), 200),
    )
    .openapi(putRoute, async (c) => {
      const result = await putSettings(c.var.deps, c.var.workspaceId, c.req.valid("json"));
      if (!result.ok)
        throw new ProblemError({
          status: statusOfRefusal(result.refusal),
          type: "validation",
          errors: [{ pointer: result.pointer, message: result.detail }],
        });
      return c.json(result.settings, 200);
    });
}
