import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { AppDeps } from "../context";
import { createRouter } from "../openapi";

const Check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
const Health = z
  .object({ status: z.enum(["ok", "degraded"]), checks: z.object({ database: Check, temporal: Check }) })
  .catchall(z.unknown())
  .openapi("Health");

export const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["System"],
  summary: "Is the API able to reach its database and Temporal?",
  responses: {
    200: { description: "Both reachable", content: { "application/json": { schema: Health } } },
    503: { description: "Something is unreachable", content: { "application/json": { schema: Health } } },
  },
});

async function timed(check: () => Promise<unknown>, timeoutMs: number): Promise<z.infer<typeof Check>> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkHealth(deps: AppDeps) {
  const [database, temporal] = await Promise.all([
    timed(() => deps.db.execute(sql`select 1`), 2000),
    timed(
      () => deps.temporal.client.workflowService.describeNamespace({ namespace: deps.temporal.namespace }),
      2000,
    ),
  ]);
  return {
    status: database.ok && temporal.ok ? ("ok" as const) : ("degraded" as const),
    checks: { database, temporal },
  };
}

export function systemRouter() {
  return createRouter()
    .openapi(healthRoute, async (c) => {
      const health = { ...(await checkHealth(c.var.deps)), ...c.var.deps.info };
      return health.status === "ok" ? c.json(health, 200) : c.json(health, 503);
    })
    .get("/metrics", async (c) => {
      const { registry } = c.var.deps.metrics;
      return c.body(await registry.metrics(), 200, { "content-type": registry.contentType });
    });
}
