import { createRoute, z } from "@hono/zod-openapi";
import { listOutbox, outboxMessageFile } from "../../core/delivery/outbox";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { ProblemError, statusOfRefusal } from "../problem";

const OutboxMessage = z
  .object({
    id: z.string(),
    enrollmentId: z.string(),
    touchKey: z.string(),
    channel: z.enum(["email", "in_app", "notification"]),
    template: z.string(),
    recipients: z.array(z.string()),
    subject: z.string().nullable(),
    status: z.string(),
    reason: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: "OutboxMessage" });

const listRoute = createRoute({
  method: "get",
  path: "/outbox",
  operationId: "listOutboxMessages",
  tags: ["Outbox"],
  summary: "Emails and CSM notifications written to the dev outbox, newest first (dev transport)",
  security: bearerSecurity,
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(500).default(100),
      cursor: z.string().optional(),
    }),
  },
  responses: {
    200: {
      description: "A page of messages",
      content: {
        "application/json": {
          schema: z.object({ data: z.array(OutboxMessage), nextCursor: z.string().nullable() }),
        },
      },
    },
    ...problemResponses(400, 401),
  },
});

const rawRoute = createRoute({
  method: "get",
  path: "/outbox/{id}",
  operationId: "getOutboxMessage",
  tags: ["Outbox"],
  summary: "One message as sent: the raw MIME (`message/rfc822`)",
  security: bearerSecurity,
  request: { params: z.object({ id: z.string().meta({ param: { name: "id", in: "path" } }) }) },
  responses: {
    200: { description: "The .eml", content: { "message/rfc822": { schema: z.string() } } },
    ...problemResponses(401, 404),
  },
});

export function outboxRouter() {
  return createRouter()
    .openapi(listRoute, async (c) =>
      c.json(await listOutbox(c.var.deps.db, c.var.workspaceId, c.req.valid("query")), 200),
    )
    .openapi(rawRoute, async (c) => {
      const { id } = c.req.valid("param");
      const found = await outboxMessageFile(c.var.deps.db, c.var.workspaceId, id);
      if (!found.ok)
        throw new ProblemError({
          status: statusOfRefusal(found.refusal),
          type: "not-found",
          detail: `No outbox message "${id}".`,
        });
      return c.body(new Uint8Array(found.raw), 200, { "content-type": "message/rfc822" });
    });
}
