import { createRoute } from "@hono/zod-openapi";
import { putSettings, Settings, showSettings } from "../../core/workspace/settings";
import {
  RotatedWebhookSecret,
  rotateWebhookSecret,
  WebhookSecretStatus,
  webhookSecretStatus,
} from "../../core/workspace/webhook-secret";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { ProblemError, statusOfRefusal } from "../problem";

const getRoute = createRoute({
  method: "get",
  path: "/settings",
  operationId: "getSettings",
  tags: ["Settings"],
  summary: "The workspace's settings, defaults filled in (the notification webhook masked)",
  security: bearerSecurity,
  responses: {
    200: { description: "Settings", content: { "application/json": { schema: Settings } } },
    ...problemResponses(401),
  },
});

const putRoute = createRoute({
  method: "put",
  path: "/settings",
  operationId: "replaceSettings",
  tags: ["Settings"],
  summary: "Replace the workspace's settings (notifications)",
  security: bearerSecurity,
  request: { body: { required: true, content: { "application/json": { schema: Settings } } } },
  responses: {
    200: { description: "Saved", content: { "application/json": { schema: Settings } } },
    ...problemResponses(400, 401, 422),
  },
});

const secretStatusRoute = createRoute({
  method: "get",
  path: "/settings/webhook-secret",
  operationId: "getWebhookSecretStatus",
  tags: ["Settings"],
  summary: "Whether webhooks are signed with a secret, and since when (never the secret)",
  security: bearerSecurity,
  responses: {
    200: { description: "Status", content: { "application/json": { schema: WebhookSecretStatus } } },
    ...problemResponses(401),
  },
});

const rotateSecretRoute = createRoute({
  method: "post",
  path: "/settings/webhook-secret",
  operationId: "rotateWebhookSecret",
  tags: ["Settings"],
  summary: "Make a new webhook signing secret, shown this once; the previous one also signs for 24 hours",
  security: bearerSecurity,
  responses: {
    201: { description: "The new secret", content: { "application/json": { schema: RotatedWebhookSecret } } },
    ...problemResponses(401),
  },
});

export function settingsRouter() {
  return createRouter()
    .openapi(getRoute, async (c) =>
      c.json(await showSettings(c.var.deps.db, c.var.workspaceId, c.var.deps.log), 200),
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
    })
    .openapi(secretStatusRoute, async (c) =>
      c.json(await webhookSecretStatus(c.var.deps.db, c.var.workspaceId), 200),
    )
    .openapi(rotateSecretRoute, async (c) => {
      // Shown once: the response must not be kept by a cache on the way.
      c.header("cache-control", "no-store");
      return c.json(await rotateWebhookSecret(c.var.deps, c.var.workspaceId), 201);
    });
}
