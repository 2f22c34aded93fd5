import { readFile } from "node:fs/promises";
import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, inArray, lt, or } from "drizzle-orm";
import { touches } from "../../../db/schema";
import { decodeTimeCursor, toPage } from "../../core/shared/pagination";
import { isUuid } from "../../core/shared/uuid";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { ProblemError } from "../problem";

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
  .openapi("OutboxMessage");

const listRoute = createRoute({
  method: "get",
  path: "/outbox",
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
  tags: ["Outbox"],
  summary: "One message as sent: the raw MIME (`message/rfc822`)",
  security: bearerSecurity,
  request: { params: z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) }) },
  responses: {
    200: { description: "The .eml", content: { "message/rfc822": { schema: z.string() } } },
    ...problemResponses(401, 404),
  },
});

export function outboxRouter() {
  return createRouter()
    .openapi(listRoute, async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const after = decodeTimeCursor(cursor);
      const rows = await c.var.deps.db
        .select()
        .from(touches)
        .where(
          and(
            eq(touches.workspaceId, c.var.workspaceId),
            inArray(touches.channel, ["email", "notification"]),
            after
              ? or(
                  lt(touches.createdAt, after.at),
                  and(eq(touches.createdAt, after.at), lt(touches.id, after.id)),
                )
              : undefined,
          ),
        )
        .orderBy(desc(touches.createdAt), desc(touches.id))
        .limit(limit + 1);
      const page = toPage(
        rows,
        limit,
        (t) => [t.createdAt.toISOString(), t.id],
        (t) => {
          const delivery = t.delivery as { recipients?: string[]; subject?: string | null };
          return {
            id: t.id,
            enrollmentId: t.enrollmentId,
            touchKey: t.touchKey,
            channel: t.channel,
            template: t.template,
            recipients: delivery.recipients ?? [],
            subject: delivery.subject ?? null,
            status: t.status,
            reason: t.reason,
            createdAt: t.createdAt.toISOString(),
          };
        },
      );
      return c.json(page, 200);
    })
    .openapi(rawRoute, async (c) => {
      const { id } = c.req.valid("param");
      const notFound = new ProblemError({
        status: 404,
        type: "not-found",
        detail: `No outbox message "${id}".`,
      });
      if (!isUuid(id)) throw notFound;
      const [row] = await c.var.deps.db
        .select()
        .from(touches)
        .where(and(eq(touches.workspaceId, c.var.workspaceId), eq(touches.id, id)));
      const file = (row?.delivery as { files?: string[] } | undefined)?.files?.[0];
      if (!file) throw notFound;
      const raw = await readFile(file).catch(() => null);
      if (!raw) throw notFound;
      return c.body(new Uint8Array(raw), 200, { "content-type": "message/rfc822" });
    });
}
