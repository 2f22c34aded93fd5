import { createRoute, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { accounts, journeys } from "../../../db/schema";
import { enroll } from "../../core/enrollments/enroll";
import { getEnrollment, getTrace, listEnrollments } from "../../core/enrollments/queries";
import { exitEnrollment } from "../../core/enrollments/runtime";
import { Enrollment, EnrollmentListQuery, TraceEntry } from "../../core/enrollments/schemas";
import type { AppDeps } from "../context";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { Problem, ProblemError } from "../problem";

const IdParam = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, example: "2b1e…" }),
});

const EnrollRequest = z
  .strictObject({
    journey: z.string().min(1).openapi({ description: "Journey key", example: "onboarding-tech-touch" }),
    account: z.string().min(1).openapi({ description: "Account externalId", example: "acme" }),
  })
  .openapi("EnrollRequest");

const problem409 = {
  409: {
    description: "Refused by the journey's audience or re-entry rules, or not live",
    content: { "application/problem+json": { schema: Problem } },
  },
};

export const postEnrollmentRoute = createRoute({
  method: "post",
  path: "/enrollments",
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

const listRoute = createRoute({
  method: "get",
  path: "/enrollments",
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

function runtime(deps: AppDeps) {
  return { db: deps.db, client: deps.temporal.client, taskQueue: deps.temporal.taskQueue };
}

async function enrollmentOr404(deps: AppDeps, workspaceId: string, id: string) {
  const found = await getEnrollment(deps.db, workspaceId, id);
  if (!found) throw new ProblemError({ status: 404, type: "not-found", detail: `No enrollment "${id}".` });
  return found;
}

export function enrollmentsRouter() {
  return createRouter()
    .openapi(postEnrollmentRoute, async (c) => {
      const body = c.req.valid("json");
      const { deps, workspaceId } = c.var;
      const [journey] = await deps.db
        .select({ id: journeys.id })
        .from(journeys)
        .where(and(eq(journeys.workspaceId, workspaceId), eq(journeys.key, body.journey)));
      const [account] = await deps.db
        .select({ id: accounts.id })
        .from(accounts)
        .where(and(eq(accounts.workspaceId, workspaceId), eq(accounts.externalId, body.account)));
      const missing = [
        ...(journey ? [] : [{ pointer: "/journey", message: `no journey "${body.journey}"` }]),
        ...(account ? [] : [{ pointer: "/account", message: `no account "${body.account}"` }]),
      ];
      if (!journey || !account) throw new ProblemError({ status: 404, type: "not-found", errors: missing });
      const outcome = await enroll(runtime(deps), {
        workspaceId,
        journeyId: journey.id,
        accountId: account.id,
        trigger: "manual",
      });
      if (!outcome.enrolled) {
        throw new ProblemError({
          status: 409,
          type: outcome.code === "duplicate" ? "already-enrolled" : "not-enrolled",
          detail: outcome.reason,
        });
      }
      return c.json(outcome.enrollment, 201);
    })
    .openapi(listRoute, async (c) =>
      c.json(await listEnrollments(c.var.deps.db, c.var.workspaceId, c.req.valid("query")), 200),
    )
    .openapi(getRoute, async (c) =>
      c.json(await enrollmentOr404(c.var.deps, c.var.workspaceId, c.req.valid("param").id), 200),
    )
    .openapi(traceRoute, async (c) => {
      const enrollment = await enrollmentOr404(c.var.deps, c.var.workspaceId, c.req.valid("param").id);
      return c.json({ enrollment, trace: await getTrace(c.var.deps.db, enrollment.id) }, 200);
    })
    .openapi(exitRoute, async (c) => {
      const enrollment = await enrollmentOr404(c.var.deps, c.var.workspaceId, c.req.valid("param").id);
      if (enrollment.status !== "active" && enrollment.status !== "held") {
        throw new ProblemError({
          status: 409,
          type: "finished",
          detail: `The enrollment is already ${enrollment.status}.`,
        });
      }
      const body = c.req.valid("json");
      await exitEnrollment(runtime(c.var.deps), enrollment, body?.reason ?? "manual_exit");
      return c.json(enrollment, 202);
    });
}
