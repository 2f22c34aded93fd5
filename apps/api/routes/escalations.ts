import { createRoute, z } from "@hono/zod-openapi";
import {
  acknowledgeEscalation,
  type EscalationChange,
  reassignEscalation,
  resolveEscalation,
} from "../../core/escalations/actions";
import {
  Escalation,
  EscalationListQuery,
  getEscalation,
  listEscalations,
} from "../../core/escalations/queries";
import { EmailAddress } from "../../core/shared/addresses";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { Problem, ProblemError, statusOfRefusal } from "../problem";

const IdParam = z.object({ id: z.string().meta({ param: { name: "id", in: "path" } }) });
const conflict = {
  409: {
    description: "Not possible in the escalation's state",
    content: { "application/problem+json": { schema: Problem } },
  },
};
const one = { description: "The escalation", content: { "application/json": { schema: Escalation } } };

const listRoute = createRoute({
  method: "get",
  path: "/escalations",
  operationId: "listEscalations",
  tags: ["Escalations"],
  summary: "The CSM inbox: escalations by status, assignee and priority, most urgent deadline first",
  security: bearerSecurity,
  request: { query: EscalationListQuery },
  responses: {
    200: {
      description: "Escalations",
      content: { "application/json": { schema: z.object({ data: z.array(Escalation) }) } },
    },
    ...problemResponses(400, 401),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/escalations/{id}",
  operationId: "getEscalation",
  tags: ["Escalations"],
  summary: "One escalation",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: one, ...problemResponses(401, 404) },
});

const acknowledgeRoute = createRoute({
  method: "post",
  path: "/escalations/{id}/acknowledge",
  operationId: "acknowledgeEscalation",
  tags: ["Escalations"],
  summary: "A CSM has picked it up",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: one, ...problemResponses(401, 404), ...conflict },
});

export const resolveRoute = createRoute({
  method: "post",
  path: "/escalations/{id}/resolve",
  operationId: "resolveEscalation",
  tags: ["Escalations"],
  summary: "Resolve: a waiting journey resumes (`resume`) or ends (`exit`)",
  description:
    "Repeating a resolve with the same outcome and resolution answers 200 and signals the journey again (safe to retry); a different one is a 409.",
  security: bearerSecurity,
  request: {
    params: IdParam,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.strictObject({
            outcome: z
              .enum(["resume", "exit"])
              .meta({ description: "Back to the automated track, or out of it" }),
            resolution: z
              .string()
              .regex(/^[a-z][a-z0-9_]{0,63}$/, "must be a lower-case label such as saved or upsell")
              .optional()
              .meta({
                description: "What happened, for the journey to branch on: `escalation.<stepId>.resolution`",
                example: "saved",
              }),
            notes: z.string().max(5000).optional(),
          }),
        },
      },
    },
  },
  responses: { 200: one, ...problemResponses(400, 401, 404, 422), ...conflict },
});

const reassignRoute = createRoute({
  method: "post",
  path: "/escalations/{id}/reassign",
  operationId: "reassignEscalation",
  tags: ["Escalations"],
  summary: "Give it to another CSM (active, in this workspace), who is told by email",
  security: bearerSecurity,
  request: {
    params: IdParam,
    body: {
      required: true,
      content: { "application/json": { schema: z.strictObject({ assignee: EmailAddress }) } },
    },
  },
  responses: { 200: one, ...problemResponses(400, 401, 404, 422), ...conflict },
});

function answer(result: EscalationChange) {
  if (result.ok) return result.escalation;
  const status = statusOfRefusal(result.refusal);
  if (result.refusal === "invalid") {
    throw new ProblemError({
      status,
      type: "validation",
      detail: result.detail,
      errors: [{ pointer: result.pointer, message: result.detail, in: "body" }],
    });
  }
  throw new ProblemError({
    status,
    type: result.refusal === "not_found" ? "not-found" : "conflict",
    detail: result.detail,
  });
}

export function escalationsRouter() {
  return createRouter()
    .openapi(listRoute, async (c) =>
      c.json({ data: await listEscalations(c.var.deps.db, c.var.workspaceId, c.req.valid("query")) }, 200),
    )
    .openapi(getRoute, async (c) => {
      const found = await getEscalation(c.var.deps.db, c.var.workspaceId, c.req.valid("param").id);
      if (!found) throw new ProblemError({ status: 404, type: "not-found", detail: "No such escalation." });
      return c.json(found, 200);
    })
    .openapi(acknowledgeRoute, async (c) =>
      c.json(
        answer(
          await acknowledgeEscalation(
            c.var.deps.db,
            c.var.workspaceId,
            c.req.valid("param").id,
            c.var.deps.clock.now(),
          ),
        ),
        200,
      ),
    )
    .openapi(resolveRoute, async (c) => {
      const { outcome, notes, resolution } = c.req.valid("json");
      const { deps } = c.var;
      const result = await resolveEscalation(
        { ...deps, delivery: deps },
        c.var.workspaceId,
        c.req.valid("param").id,
        outcome,
        notes,
        resolution,
        deps.clock.now(),
      );
      return c.json(answer(result), 200);
    })
    .openapi(reassignRoute, async (c) => {
      const { deps } = c.var;
      const result = await reassignEscalation(
        deps,
        c.var.workspaceId,
        c.req.valid("param").id,
        c.req.valid("json").assignee,
        deps.clock.now(),
      );
      return c.json(answer(result), 200);
    });
}
