import { createRoute, z } from "@hono/zod-openapi";
import { HealthAlert, HealthAlertQuery, listHealthAlerts } from "../../core/health/alerts";
import { recomputeHealthNow } from "../../core/health/compute";
import { accountHealthHistory } from "../../core/health/queries";
import { Scorecard } from "../../core/health/scorecard";
import { getScorecard, saveScorecard } from "../../core/health/scorecard-store";
import { ExternalId } from "../../core/shared/validators";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { ProblemError } from "../problem";

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const Band = z.enum(["red", "yellow", "green"]);
const CurrentHealth = z
  .object({
    score: z.number().int(),
    band: Band,
    computedAt: z.string(),
    trend: z.object({ days7: z.number().nullable(), days28: z.number().nullable() }),
    measures: z.record(z.string(), z.object({ value: z.number(), score: z.number() })),
  })
  .meta({ id: "AccountHealth" });

const getScorecardRoute = createRoute({
  method: "get",
  path: "/health/scorecard",
  operationId: "getScorecard",
  tags: ["Health"],
  summary: "The workspace's health scorecard (the default until one is saved)",
  security: bearerSecurity,
  responses: {
    200: json(z.object({ scorecard: Scorecard, isDefault: z.boolean() }), "The scorecard"),
    ...problemResponses(401),
  },
});

const putScorecardRoute = createRoute({
  method: "put",
  path: "/health/scorecard",
  operationId: "replaceScorecard",
  tags: ["Health"],
  summary: "Replace the scorecard: measures, weights, curves, bands, tier profiles, recompute interval",
  security: bearerSecurity,
  request: { body: { required: true, content: { "application/json": { schema: Scorecard } } } },
  responses: { 200: json(Scorecard, "Saved"), ...problemResponses(400, 401, 422) },
});

const recomputeRoute = createRoute({
  method: "post",
  path: "/health/recompute",
  operationId: "recomputeHealth",
  tags: ["Health"],
  summary: "Score every account now; returns when done",
  security: bearerSecurity,
  responses: {
    200: json(
      z.object({
        computedAt: z.string(),
        accounts: z.number().int(),
        bands: z.record(z.string(), z.number().int()),
        transitions: z.array(z.object({ account: z.string(), from: z.string().nullable(), to: Band })),
        alerts: z.number().int().meta({ description: "Band crossings raised as alerts" }),
        durationMs: z.number(),
      }),
      "The run",
    ),
    ...problemResponses(401),
  },
});

const accountHealthRoute = createRoute({
  method: "get",
  path: "/accounts/{externalId}/health",
  operationId: "getAccountHealth",
  tags: ["Health"],
  summary: "An account's health now (score, band, trend, measures) and its history",
  security: bearerSecurity,
  request: {
    params: z.object({ externalId: ExternalId.meta({ param: { name: "externalId", in: "path" } }) }),
    query: z.object({
      from: z.iso.datetime({ offset: true }).optional().meta({ description: "Default: 90 days ago" }),
      to: z.iso.datetime({ offset: true }).optional(),
    }),
  },
  responses: {
    200: json(
      z.object({
        current: CurrentHealth.nullable(),
        history: z.array(z.object({ at: z.string(), score: z.number().int(), band: Band })),
      }),
      "Health",
    ),
    ...problemResponses(400, 401, 404),
  },
});

const alertsRoute = createRoute({
  method: "get",
  path: "/health/alerts",
  operationId: "listHealthAlerts",
  tags: ["Health"],
  summary: "Band crossings, newest first (posted to the notification webhook when one is set)",
  security: bearerSecurity,
  request: { query: HealthAlertQuery },
  responses: { 200: json(z.object({ data: z.array(HealthAlert) }), "Alerts"), ...problemResponses(400, 401) },
});

export function healthRouter() {
  return createRouter()
    .openapi(getScorecardRoute, async (c) =>
      c.json(await getScorecard(c.var.deps.db, c.var.workspaceId), 200),
    )
    .openapi(putScorecardRoute, async (c) => {
      const { deps, workspaceId } = c.var;
      return c.json(await saveScorecard(deps, workspaceId, c.req.valid("json"), deps.clock.now()), 200);
    })
    .openapi(recomputeRoute, async (c) => {
      const { deps, workspaceId } = c.var;
      return c.json(await recomputeHealthNow(deps, workspaceId, deps.clock.now()), 200);
    })
    .openapi(alertsRoute, async (c) =>
      c.json(
        {
          data: await listHealthAlerts(
            c.var.deps.db,
            c.var.workspaceId,
            c.req.valid("query"),
            c.var.deps.clock.now(),
          ),
        },
        200,
      ),
    )
    .openapi(accountHealthRoute, async (c) => {
      const { externalId } = c.req.valid("param");
      const { deps } = c.var;
      const health = await accountHealthHistory(
        deps.db,
        c.var.workspaceId,
        externalId,
        c.req.valid("query"),
        deps.clock.now(),
      );
      if (!health)
        throw new ProblemError({
          status: 404,
          type: "not-found",
          detail: `No account with externalId "${externalId}".`,
        });
      return c.json(health, 200);
    });
}
