import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "../context";

/** Counts and times every request by its route pattern (never the raw path, to keep labels bounded). */
export function httpMetrics(): MiddlewareHandler<AppEnv> {
  return async function httpMetricsMiddleware(c, next) {
    const started = performance.now();
    await next();
    const handler = matchedRoutes(c).findLast((r) => r.method !== "ALL");
    const route = handler?.path ?? "unmatched";
    const { metrics } = c.var.deps;
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.httpDuration.observe({ method: c.req.method, route }, (performance.now() - started) / 1000);
  };
}
