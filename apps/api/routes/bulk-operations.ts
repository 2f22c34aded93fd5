import { createRoute, z } from "@hono/zod-openapi";
import {
  BulkOperation,
  BulkOperationListQuery,
  getBulkOperation,
  listBulkOperations,
} from "../../core/enrollments/bulk-operations";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { ProblemError } from "../problem";

const IdParam = z.object({
  id: z.string().meta({ param: { name: "id", in: "path" }, example: "5f0c…" }),
});

const listRoute = createRoute({
  method: "get",
  path: "/bulk-operations",
  operationId: "listBulkOperations",
  tags: ["Enrollments"],
  summary: "Bulk operations and backfills run in the background, newest first",
  security: bearerSecurity,
  request: { query: BulkOperationListQuery },
  responses: {
    200: {
      description: "A page of operations",
      content: {
        "application/json": {
          schema: z.object({ data: z.array(BulkOperation), nextCursor: z.string().nullable() }),
        },
      },
    },
    ...problemResponses(400, 401),
  },
});

export const getBulkOperationRoute = createRoute({
  method: "get",
  path: "/bulk-operations/{id}",
  operationId: "getBulkOperation",
  tags: ["Enrollments"],
  summary: "A bulk operation's progress: total, done, changed, skipped, percent, status",
  description:
    "Written after each batch of 500 by the workflow that runs it. `status` goes queued → running → completed (or failed, with `error`).",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: {
    200: { description: "The operation", content: { "application/json": { schema: BulkOperation } } },
    ...problemResponses(401, 404),
  },
});

export function bulkOperationsRouter() {
  return createRouter()
    .openapi(listRoute, async (c) =>
      c.json(await listBulkOperations(c.var.deps.db, c.var.workspaceId, c.req.valid("query")), 200),
    )
    .openapi(getBulkOperationRoute, async (c) => {
      const { id } = c.req.valid("param");
      const found = await getBulkOperation(c.var.deps.db, c.var.workspaceId, id);
      if (!found)
        throw new ProblemError({ status: 404, type: "not-found", detail: `No bulk operation "${id}".` });
      return c.json(found, 200);
    });
}
