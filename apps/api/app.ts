import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { consoleRouter } from "../console/router";
import type { AppDeps, AppEnv } from "./context";
import { apiKeyAuth } from "./middleware/auth";
import { httpMetrics } from "./middleware/metrics";
import { rateLimits } from "./middleware/rate-limit";
import { requestLog } from "./middleware/request-log";
import { requireRole } from "./middleware/role";
import { routePattern } from "./middleware/route-pattern";
import { apiDocumentConfig, registerSharedComponents } from "./openapi";
import { errorHandler, problem, validationHook } from "./problem";
import { accountsRouter } from "./routes/accounts";
import { bulkOperationsRouter } from "./routes/bulk-operations";
import { contactsRouter } from "./routes/contacts";
import { csmsRouter } from "./routes/csms";
import { docsRouter } from "./routes/docs";
import { enrollmentsRouter } from "./routes/enrollments";
import { escalationsRouter } from "./routes/escalations";
import { eventsRouter } from "./routes/events";
import { healthRouter } from "./routes/health";
import { inAppKeysRouter, inAppPublicRouter, widgetCors } from "./routes/in-app";
import { journeysRouter } from "./routes/journeys";
import { outboxRouter } from "./routes/outbox";
import { publicLinksRouter } from "./routes/public-links";
import { renewalsRouter } from "./routes/renewals";
import { settingsRouter } from "./routes/settings";
import { systemRouter } from "./routes/system";
import { templatesRouter } from "./routes/templates";
import { usersRouter } from "./routes/users";
import { workspaceRouter } from "./routes/workspace";

const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** The HTTP API; every dependency comes in through `deps`. */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use(requestId());
  app.use(async function injectDeps(c, next) {
    c.set("deps", deps);
    await next();
  });
  app.use(requestLog());
  app.use(httpMetrics());
  app.use("/in-app/*", widgetCors());
  const limits = rateLimits(deps);
  for (const path of ["/v1/*", "/in-app/*", "/u/*", "/t/*"]) app.use(path, limits.perAddress);
  for (const path of ["/v1/*", "/in-app/*"]) app.use(path, limits.authFailures);
  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        problem(c, {
          status: 413,
          type: "body-too-large",
          detail: `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`,
        }),
    }),
  );
  app.use("/v1/*", apiKeyAuth(), limits.perKey, requireRole(), emptyJsonIsNoBody);

  app.route("/", consoleRouter(deps));
  app.route("/", systemRouter());
  app.route("/", docsRouter());
  app.route("/", publicLinksRouter());
  app.route("/", inAppPublicRouter());
  app.route("/v1", accountsRouter());
  app.route("/v1", contactsRouter());
  app.route("/v1", eventsRouter());
  app.route("/v1", journeysRouter());
  app.route("/v1", enrollmentsRouter());
  app.route("/v1", bulkOperationsRouter());
  app.route("/v1", escalationsRouter());
  app.route("/v1", healthRouter());
  app.route("/v1", csmsRouter());
  app.route("/v1", outboxRouter());
  app.route("/v1", templatesRouter());
  app.route("/v1", settingsRouter());
  app.route("/v1", workspaceRouter());
  app.route("/v1", usersRouter());
  app.route("/v1", renewalsRouter());
  app.route("/v1", inAppKeysRouter());

  registerSharedComponents(app);
  app.doc31("/openapi.json", apiDocumentConfig(deps.publicUrl));

  app.notFound((c) => problem(c, { status: 404, detail: `No route for ${c.req.method} ${c.req.path}.` }));
  app.onError(
    errorHandler((err, c) =>
      deps.log.error("unhandled error", {
        requestId: c.get("requestId"),
        route: routePattern(c),
        error: err,
      }),
    ),
  );
  return app;
}

/**
 * `content-type: application/json` with an empty body (curl with the header set once for every
 * call, a client that always sends it) is no body: a route whose body is optional (publish,
 * simulate) takes its defaults instead of answering "malformed JSON".
 */
const emptyJsonIsNoBody: MiddlewareHandler = async (c, next) => {
  if (c.req.header("content-length") === "0" && c.req.header("content-type")?.includes("json")) {
    const headers = new Headers(c.req.raw.headers);
    headers.delete("content-type");
    c.req.raw = new Request(c.req.raw.url, { method: c.req.method, headers });
  }
  await next();
};
