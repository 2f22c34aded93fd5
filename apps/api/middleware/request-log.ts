import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context";
import { routePattern } from "./route-pattern";

/**
 * One line per request: its id (the caller's `X-Request-Id` when it sent a valid one, echoed back),
 * the key's workspace, method, route pattern, status and duration. The raw path is left out: it can
 * carry a contact's email address (`/v1/csms/{email}`) or a signed token.
 */
export function requestLog(): MiddlewareHandler<AppEnv> {
  return async function requestLogMiddleware(c, next) {
    const started = performance.now();
    await next();
    c.var.deps.log.info("request", {
      requestId: c.get("requestId"),
      workspaceId: c.get("workspaceId"),
      method: c.req.method,
      route: routePattern(c),
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    });
  };
}
