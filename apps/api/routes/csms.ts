import { createRoute, z } from "@hono/zod-openapi";
import { Csm, CsmInput, listCsms, upsertCsm } from "../../core/escalations/csms";
import { EmailAddress } from "../../core/shared/addresses";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";

const putRoute = createRoute({
  method: "put",
  path: "/csms/{email}",
  operationId: "upsertCsm",
  tags: ["CSMs"],
  summary: "Create or replace a CSM: capacity, tiers served, active, language and time zone of its emails",
  security: bearerSecurity,
  request: {
    params: z.object({
      email: EmailAddress.meta({ param: { name: "email", in: "path" }, example: "hanako@vendor.example" }),
    }),
    body: { required: true, content: { "application/json": { schema: CsmInput } } },
  },
  responses: {
    200: { description: "The CSM with its open load", content: { "application/json": { schema: Csm } } },
    ...problemResponses(400, 401, 422),
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/csms",
  operationId: "listCsms",
  tags: ["CSMs"],
  summary: "CSMs with capacity, tiers served and current open load",
  security: bearerSecurity,
  responses: {
    200: {
      description: "CSMs",
      content: { "application/json": { schema: z.object({ data: z.array(Csm) }) } },
    },
    ...problemResponses(401),
  },
});

export function csmsRouter() {
  return createRouter()
    .openapi(putRoute, async (c) =>
      c.json(
        await upsertCsm(
          c.var.deps.db,
          c.var.workspaceId,
          c.req.valid("param").email,
          c.req.valid("json"),
          c.var.deps.clock.now(),
        ),
        200,
      ),
    )
    .openapi(listRoute, async (c) => c.json({ data: await listCsms(c.var.deps.db, c.var.workspaceId) }, 200));
}
