import { createRoute, z } from "@hono/zod-openapi";
import { checkReadiness } from "../../core/shared/readiness";
import { renderMetrics } from "../metrics";
import { createRouter } from "../openapi";

const Check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
const Health = z
  .object({ status: z.enum(["ok", "degraded"]), checks: z.object({ database: Check, temporal: Check }) })
  .catchall(z.unknown())
  .meta({ id: "Health" });

export const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "getServiceHealth",
  tags: ["System"],
  summary: "Is the API able to reach its database and Temporal?",
  description: "Public (no API key), for load balancers and orchestrators; never rate limited.",
  security: [],
  responses: {
    200: { description: "Both reachable", content: { "application/json": { schema: Health } } },
    503: { description: "Something is unreachable", content: { "application/json": { schema: Health } } },
  },
});

export function systemRouter() {
  return createRouter()
    .openapi(healthRoute, async (c) => {
      const { deps } = c.var;
      const health = { ...(await checkReadiness(deps)), ...deps.info };
      return health.status === "ok" ? c.json(health, 200) : c.json(health, 503);
    })
    .get("/metrics", async (c) => {
      const { registry } = c.var.deps.metrics;
      return c.body(await renderMetrics(c.var.deps), 200, { "content-type": registry.contentType });
    });
}
