import { readFile } from "node:fs/promises";
import { createRoute, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import {
  InAppMessage,
  listWidgetMessages,
  markWidgetMessage,
  verifyWidget,
  type WidgetCredentials,
  WidgetKeys,
  widgetActions,
  widgetKeys,
} from "../../core/delivery/in-app-widget";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { ProblemError, problem, statusOfRefusal } from "../problem";

const WIDGET_BODY_BYTES = 4 * 1024;
const widgetFile = new URL("../widget/widget.js", import.meta.url);

const keysRoute = createRoute({
  method: "get",
  path: "/in-app/keys",
  operationId: "getInAppKeys",
  tags: ["In-app"],
  summary: "The publishable key for the widget and the secret your server signs contact ids with",
  security: bearerSecurity,
  responses: {
    200: { description: "Widget keys", content: { "application/json": { schema: WidgetKeys } } },
    ...problemResponses(401),
  },
});

const credentialFields = {
  key: z.string().optional().meta({ description: "The workspace's publishable key (`pk_…`)" }),
  account: z.string().optional().meta({ description: "externalId of the contact's account" }),
  contact: z.string().optional().meta({ description: "externalId of the contact" }),
  hash: z.string().optional().meta({ description: "HMAC of the ids, computed by your server" }),
};
// Optional in the schema so that a missing field is the same 401 as a wrong one, never a 400 that
// tells a prober which part it got right.
const Credentials = z.object(credentialFields);

const widgetUnauthorized = () =>
  new ProblemError({
    status: 401,
    type: "unauthorized",
    detail: "The widget credentials (key, account, contact, hash) do not verify.",
  });

const listRoute = createRoute({
  method: "get",
  path: "/in-app/messages",
  operationId: "listInAppMessages",
  tags: ["In-app"],
  summary: "A contact's in-app messages that are not dismissed, newest first (for the widget)",
  description:
    "Public, called from your pages. `hash` proves the contact: see `GET /v1/in-app/keys`. Any origin may call it.",
  security: [],
  request: { query: Credentials },
  responses: {
    200: {
      description: "Messages",
      content: { "application/json": { schema: z.object({ data: z.array(InAppMessage) }) } },
    },
    ...problemResponses(401),
  },
});

const markRoute = createRoute({
  method: "post",
  path: "/in-app/messages/{id}/{action}",
  operationId: "recordInAppMessageAction",
  tags: ["In-app"],
  summary: "Record that the contact saw, clicked or dismissed a message (idempotent)",
  description:
    "Public, called from your pages. Credentials in the JSON body or the query. Records `message_opened`, `message_clicked` or `message_dismissed` for the journey that sent it; a click also counts as seen.",
  security: [],
  request: {
    params: z.object({
      id: z.string().meta({ param: { name: "id", in: "path" } }),
      action: z.enum(widgetActions).meta({ param: { name: "action", in: "path" } }),
    }),
    query: Credentials,
    body: { required: false, content: { "application/json": { schema: Credentials } } },
  },
  responses: {
    200: {
      description: "The message after the change",
      content: { "application/json": { schema: InAppMessage } },
    },
    ...problemResponses(400, 401, 404),
  },
});

/** `GET /v1/in-app/keys`, behind the API key. */
export function inAppKeysRouter() {
  return createRouter().openapi(keysRoute, async (c) =>
    c.json(await widgetKeys(c.var.deps.db, c.var.workspaceId), 200),
  );
}

/**
 * The widget's public endpoints and `/widget.js`: no API key, proved by the contact hash. Any origin
 * may call them (`widgetCors`, applied in app.ts ahead of the rate limits, so a 429 reaches the page too).
 */
export function inAppPublicRouter() {
  let script: Promise<Buffer> | undefined;
  const router = createRouter();
  router.use(
    "/in-app/*",
    bodyLimit({
      maxSize: WIDGET_BODY_BYTES,
      onError: (c) =>
        problem(c, { status: 413, detail: `Widget requests are limited to ${WIDGET_BODY_BYTES} bytes.` }),
    }),
  );
  return router
    .openapi(listRoute, async (c) => {
      const identity = await verifyWidget(c.var.deps.db, c.req.valid("query"));
      if (!identity) throw widgetUnauthorized();
      return c.json({ data: await listWidgetMessages(c.var.deps.db, identity) }, 200);
    })
    .openapi(markRoute, async (c) => {
      const { deps } = c.var;
      const { id, action } = c.req.valid("param");
      const body = (c.req.header("content-type") ?? "").includes("json") ? c.req.valid("json") : {};
      const query = c.req.valid("query");
      const creds: WidgetCredentials = {
        key: body.key ?? query.key,
        account: body.account ?? query.account,
        contact: body.contact ?? query.contact,
        hash: body.hash ?? query.hash,
      };
      const identity = await verifyWidget(deps.db, creds);
      if (!identity) throw widgetUnauthorized();
      const result = await markWidgetMessage(deps, identity, id, action);
      if (!result.ok)
        throw new ProblemError({
          status: statusOfRefusal(result.refusal),
          detail: `No message ${id} for this contact.`,
        });
      return c.json(result.message, 200);
    })
    .get("/widget.js", async (c) => {
      script ??= readFile(widgetFile).catch((err: unknown) => {
        script = undefined;
        throw err;
      });
      return c.body(new Uint8Array(await script), 200, {
        "content-type": "application/javascript; charset=utf-8",
        "cache-control": "public, max-age=300",
        "x-content-type-options": "nosniff",
        "access-control-allow-origin": "*",
      });
    });
}

/** No cookies or API keys travel on the widget's routes, so allowing every origin exposes nothing. */
export const widgetCors = () =>
  cors({ origin: "*", allowMethods: ["GET", "POST"], exposeHeaders: ["Retry-After"], maxAge: 600 });
