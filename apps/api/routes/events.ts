import { createRoute, z } from "@hono/zod-openapi";
import { EventBatch, EventItemResult, MAX_EVENTS_PER_BATCH } from "../../core/events/ingest";
import { receiveEvents } from "../../core/events/receive";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { ProblemError, problemBody } from "../problem";

export const IngestResponse = z
  .object({
    accepted: z.number().int(),
    duplicates: z.number().int(),
    rejected: z.number().int(),
    results: z.array(EventItemResult),
    routing: z
      .object({ workflowId: z.string() })
      .nullable()
      .meta({ description: "The Temporal workflow routing the accepted events, if any were new" }),
  })
  .meta({ id: "IngestResponse" });
export type IngestResponse = z.infer<typeof IngestResponse>;

/**
 * Documented like every route, but validated item by item in the handler: one bad event must not
 * cost the valid ones, which a whole-body validator would reject together.
 */
export const postEventsRoute = createRoute({
  method: "post",
  path: "/events",
  operationId: "ingestEvents",
  tags: ["Events"],
  summary: "Send a batch of product usage / engagement events",
  description: `Up to ${MAX_EVENTS_PER_BATCH} events. Idempotent by \`id\`. Every item gets its own verdict: valid items are stored even when others are rejected (status 207), and 422 means none was.`,
  security: bearerSecurity,
  request: { body: { required: true, content: { "application/json": { schema: EventBatch } } } },
  responses: {
    200: {
      description: "Every item accepted or a known duplicate",
      content: { "application/json": { schema: IngestResponse } },
    },
    207: {
      description: "Some items rejected; the others are stored",
      content: { "application/json": { schema: IngestResponse } },
    },
    ...problemResponses(400, 401, 413, 422),
  },
});

export function eventsRouter() {
  const router = createRouter();
  router.openAPIRegistry.registerPath(postEventsRoute);
  router.post("/events", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new ProblemError({
        status: 400,
        type: "malformed-json",
        detail: "The request body is not valid JSON.",
      });
    }
    const items = (body as { events?: unknown } | null)?.events;
    if (!Array.isArray(items) || items.length === 0) {
      throw new ProblemError({
        status: 422,
        type: "validation",
        title: "Your request is not valid",
        errors: [{ pointer: "/events", message: "must be a non-empty array of events" }],
      });
    }
    if (items.length > MAX_EVENTS_PER_BATCH) {
      throw new ProblemError({
        status: 413,
        type: "batch-too-large",
        detail: `A batch holds at most ${MAX_EVENTS_PER_BATCH} events; this one has ${items.length}. Split it.`,
        errors: [{ pointer: "/events", message: `at most ${MAX_EVENTS_PER_BATCH} items` }],
      });
    }
    const { deps, workspaceId } = c.var;
    const result = await receiveEvents(deps, workspaceId, items);
    deps.metrics.eventsIngested.inc({ status: "accepted" }, result.accepted);
    deps.metrics.eventsIngested.inc({ status: "duplicate" }, result.duplicates);
    deps.metrics.eventsIngested.inc({ status: "rejected" }, result.rejected);
    const response: IngestResponse = {
      accepted: result.accepted,
      duplicates: result.duplicates,
      rejected: result.rejected,
      results: result.results,
      routing: result.routing,
    };
    if (result.rejected === items.length) {
      const errors = result.results.flatMap((r) => r.errors ?? []);
      return c.newResponse(
        JSON.stringify({
          ...problemBody(c, {
            status: 422,
            type: "validation",
            title: "No event in the batch is valid",
            errors,
          }),
          ...response,
        }),
        422,
        { "content-type": "application/problem+json" },
      );
    }
    return c.json(response, result.rejected > 0 ? 207 : 200);
  });
  return router;
}
