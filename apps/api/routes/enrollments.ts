import { createRoute, z } from "@hono/zod-openapi";
import { BulkRequest, BulkResult, bulkEnrollments } from "../../core/enrollments/bulk";
import { BulkOperation } from "../../core/enrollments/bulk-operations";
import { enrollByKeys } from "../../core/enrollments/enroll-by-keys";
import { getEnrollment, getEnrollmentWithTrace, listEnrollments } from "../../core/enrollments/queries";
import { requestExit } from "../../core/enrollments/runtime";
import { Enrollment, EnrollmentListQuery, TraceEntry } from "../../core/enrollments/schemas";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { Problem, ProblemError, statusOfRefusal } from "../problem";
import { bulkOperationPath, PreferHeader, prefersAsync } from "../respond-async";

const IdParam = z.object({
  id: z.string().meta({ param: { name: "id", in: "path" }, example: "2b1e…" }),
});

const EnrollRequest = z
  .strictObject({
    journey: z
      .string()
      .min(1)
      .max(200)
      .meta({ description: "Journey key", example: "onboarding-tech-touch" }),
    account: z.string().min(1).max(200).meta({ description: "Account externalId", example: "acme" }),
  })
  .meta({ id: "EnrollRequest" });

const problem409 = {
  409: {
    description: "Refused by the journey's audience or re-entry rules, or not live",
    content: { "application/problem+json": { schema: Problem } },
  },
};

export const postEnrollmentRoute = createRoute({
  method: "post",
  path: "/enrollments",
  operationId: "enrollAccount",
  tags: ["Enrollments"],
  summary: "Enroll an account in a journey now (manual trigger)",
  security: bearerSecurity,
  request: { body: { required: true, content: { "application/json": { schema: EnrollRequest } } } },
  responses: {
    201: {
      description: "Enrolled; the run has started",
      content: { "application/json": { schema: Enrollment } },
    },
    ...problemResponses(400, 401, 404, 422),
    ...problem409,
  },
});

export const bulkRoute = createRoute({
  method: "post",
  path: "/enrollments/bulk",
  operationId: "bulkEnrollAccounts",
  tags: ["Enrollments"],
  summary: "Enroll, pause, resume or exit the accounts a filter names, in one journey",
  description:
    "Set-based, in batches of 500. Up to 1,000 accounts (enroll) or enrollments (pause, resume, exit) it answers 200 with the counts when done; above that, or with `Prefer: respond-async`, it answers 202 with a bulk operation whose progress `GET /v1/bulk-operations/{id}` (its `Location`) reports while a workflow works through it. Safe to repeat: an account enrolled, paused or exited once is not changed again. `dryRun` only counts, always at once. A paused enrollment holds before its next touch, as a paused journey's do, until resumed.",
  security: bearerSecurity,
  request: {
    headers: PreferHeader,
    body: { required: true, content: { "application/json": { schema: BulkRequest } } },
  },
  responses: {
    200: {
      description: "What was done (or would be)",
      content: { "application/json": { schema: BulkResult } },
    },
    202: {
      description: "Accepted: the operation runs in the background; follow it at `Location`",
      headers: z.object({ Location: z.string().meta({ example: "/v1/bulk-operations/5f0c…" }) }),
      content: { "application/json": { schema: BulkOperation } },
    },
    ...problemResponses(400, 401, 404, 422),
    409: {
      description: "The journey is not live: no one can enter it",
      content: { "application/problem+json": { schema: Problem } },
    },
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/enrollments",
  operationId: "listEnrollments",
  tags: ["Enrollments"],
  summary: "Enrollments, newest first, filtered by journey, account and status",
  security: bearerSecurity,
  request: { query: EnrollmentListQuery },
  responses: {
    200: {
      description: "A page of enrollments",
      content: {
        "application/json": {
          schema: z.object({ data: z.array(Enrollment), nextCursor: z.string().nullable() }),
        },
      },
    },
    ...problemResponses(400, 401),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/enrollments/{id}",
  operationId: "getEnrollment",
  tags: ["Enrollments"],
  summary: "One enrollment",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: {
    200: { description: "The enrollment", content: { "application/json": { schema: Enrollment } } },
    ...problemResponses(401, 404),
  },
});

export const traceRoute = createRoute({
  method: "get",
  path: "/enrollments/{id}/trace",
  operationId: "getEnrollmentTrace",
  tags: ["Enrollments"],
  summary: "Why: every step entered, decision taken (with the facts used), touch sent or held",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: {
    200: {
      description: "The decision trace, oldest first",
      content: {
        "application/json": { schema: z.object({ enrollment: Enrollment, trace: z.array(TraceEntry) }) },
      },
    },
    ...problemResponses(401, 404),
  },
});

const exitRoute = createRoute({
  method: "post",
  path: "/enrollments/{id}/exit",
  operationId: "exitEnrollment",
  tags: ["Enrollments"],
  summary: "Take an account out of a journey",
  security: bearerSecurity,
  request: {
    params: IdParam,
    body: {
      required: false,
      content: {
        "application/json": { schema: z.strictObject({ reason: z.string().min(1).max(200).optional() }) },
      },
    },
  },
  responses: {
    202: {
      description: "The run was asked to exit",
      content: { "application/json": { schema: Enrollment } },
    },
    ...problemResponses(401, 404),
    ...problem409,
  },
});

function noEnrollment(id: string): ProblemError {
  return new ProblemError({ status: 404, type: "not-found", detail: `No enrollment "${id}".` });
}

export function enrollmentsRouter() {
  return createRouter()
    .openapi(postEnrollmentRoute, async (c) => {
      const body = c.req.valid("json");
      const { deps, workspaceId } = c.var;
      const result = await enrollByKeys(deps, { workspaceId, ...body });
      if (result.ok) return c.json(result.enrollment, 201);
      if (result.refusal === "not_found") {
        throw new ProblemError({
          status: statusOfRefusal(result.refusal),
          type: "not-found",
          errors: result.problems,
        });
      }
      throw new ProblemError({
        status: statusOfRefusal(result.refusal),
        type: result.code === "duplicate" ? "already-enrolled" : "not-enrolled",
        detail: result.reason,
      });
    })
    .openapi(bulkRoute, async (c) => {
      const background = prefersAsync(c.req.valid("header").prefer);
      const { deps, workspaceId } = c.var;
      const result = await bulkEnrollments(deps, workspaceId, c.req.valid("json"), {
        background,
        limits: deps.bulkLimits,
      });
      if (!result.ok) {
        throw new ProblemError({
          status: statusOfRefusal(result.refusal),
          type: result.refusal === "not_found" ? "not-found" : "conflict",
          detail: result.detail,
          errors: [{ pointer: result.pointer, message: result.detail }],
        });
      }
      if ("operation" in result) {
        c.header("Location", bulkOperationPath(result.operation.id));
        if (background) c.header("Preference-Applied", "respond-async");
        return c.json(result.operation, 202);
      }
      return c.json(result.result, 200);
    })
    .openapi(listRoute, async (c) =>
      c.json(await listEnrollments(c.var.deps.db, c.var.workspaceId, c.req.valid("query")), 200),
    )
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid("param");
      const found = await getEnrollment(c.var.deps.db, c.var.workspaceId, id);
      if (!found) throw noEnrollment(id);
      return c.json(found, 200);
    })
    .openapi(traceRoute, async (c) => {
      const { id } = c.req.valid("param");
      const found = await getEnrollmentWithTrace(c.var.deps.db, c.var.workspaceId, id);
      if (!found) throw noEnrollment(id);
      return c.json(found, 200);
    })
    .openapi(exitRoute, async (c) => {
      const { id } = c.req.valid("param");
      const reason = c.req.valid("json")?.reason ?? "manual_exit";
      const result = await requestExit(c.var.deps, c.var.workspaceId, id, reason);
      if (!result.ok) {
        const status = statusOfRefusal(result.refusal);
        throw new ProblemError({
          status,
          type: result.refusal === "not_found" ? "not-found" : "finished",
          detail: result.detail,
        });
      }
      return c.json(result.enrollment, 202);
    });
}
