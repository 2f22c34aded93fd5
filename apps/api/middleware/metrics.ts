import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context";
import { routePattern } from "./route-pattern";

/** Counts and times every request by its route pattern (never the raw path, to keep labels bounded). */
export function httpMetrics(): MiddlewareHandler<AppEnv> {
  return async function httpMetricsMiddleware(c, next) {
    const started = performance.now();
    await next();
    const route = routePattern(c);
    const { metrics } = c.var.deps;
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.httpDuration.observe({ method: c.req.method, route }, (performance.now() - started) / 1000);
  };
}
