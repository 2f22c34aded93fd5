import { createRoute } from "@hono/zod-openapi";
import {
  getIdentity,
  patchIdentity,
  WorkspaceIdentity,
  WorkspaceIdentityPatch,
} from "../../core/workspace/identity";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";

const getRoute = createRoute({
  method: "get",
  path: "/workspace",
  operationId: "getWorkspace",
  tags: ["Workspace"],
  summary: "What customers see of the workspace: name, app link, logo, colour, sender and footer",
  security: bearerSecurity,
  responses: {
    200: { description: "The identity", content: { "application/json": { schema: WorkspaceIdentity } } },
    ...problemResponses(401),
  },
});

const patchRoute = createRoute({
  method: "patch",
  path: "/workspace",
  operationId: "updateWorkspace",
  tags: ["Workspace"],
  summary: "Change some of the identity: the fields given replace the stored ones, null clears one",
  security: bearerSecurity,
  request: {
    body: { required: true, content: { "application/json": { schema: WorkspaceIdentityPatch } } },
  },
  responses: {
    200: { description: "The identity", content: { "application/json": { schema: WorkspaceIdentity } } },
    ...problemResponses(400, 401, 422),
  },
});

export function workspaceRouter() {
  return createRouter()
    .openapi(getRoute, async (c) => {
      const identity = await getIdentity(c.var.deps.db, c.var.workspaceId);
      // The key authenticated this workspace: it exists.
      if (!identity) throw new Error(`workspace ${c.var.workspaceId} not found`);
      return c.json(identity, 200);
    })
    .openapi(patchRoute, async (c) =>
      c.json(
        await patchIdentity(c.var.deps.db, c.var.workspaceId, c.req.valid("json"), c.var.deps.clock.now()),
        200,
      ),
    );
}
