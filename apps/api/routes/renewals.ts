import { createRoute, z } from "@hono/zod-openapi";
import {
  listRenewals,
  Renewal,
  RenewalInput,
  RenewalOutcome,
  recordRenewal,
} from "../../core/accounts/renewals";
import { RetentionQuery, RetentionReport, retentionReport } from "../../core/accounts/retention";
import { ExternalId, IsoDate } from "../../core/shared/validators";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { ProblemError, statusOfRefusal } from "../problem";

const externalId = ExternalId.meta({ param: { name: "externalId", in: "path" }, example: "acme" });

/**
 * The body as documented: a `$ref` to the `RenewalOutcome` component beside the field's own
 * description is what `.openapi()` records and zod's `.meta` cannot, so the field is declared here
 * with the API's extended zod (core's schema still validates it).
 */
const RenewalBody = RenewalInput.extend({
  outcome: z
    .enum(RenewalOutcome.options)
    .openapi("RenewalOutcome")
    .optional()
    .openapi({ description: "Derived from the two ARRs when omitted; when given it must agree with them" }),
}).meta({ id: "RenewalInput" });

const putRoute = createRoute({
  method: "put",
  path: "/accounts/{externalId}/renewals/{renewalDate}",
  operationId: "recordRenewal",
  tags: ["Retention"],
  summary:
    "Record what happened at a renewal (renewed, expanded, contracted, churned) with ARR before and after",
  description:
    "Idempotent by (account, renewal date): a second PUT corrects the record. The account's ARR becomes `arrAfter`; a churned account enters the `churned` stage (starting its journeys).",
  security: bearerSecurity,
  request: {
    params: z.object({
      externalId,
      renewalDate: IsoDate.meta({ param: { name: "renewalDate", in: "path" } }),
    }),
    body: { required: true, content: { "application/json": { schema: RenewalBody } } },
  },
  responses: {
    200: { description: "Recorded", content: { "application/json": { schema: Renewal } } },
    ...problemResponses(400, 401, 404, 422),
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/accounts/{externalId}/renewals",
  operationId: "listRenewals",
  tags: ["Retention"],
  summary: "An account's renewal history",
  security: bearerSecurity,
  request: { params: z.object({ externalId }) },
  responses: {
    200: {
      description: "Renewals, oldest first",
      content: { "application/json": { schema: z.object({ data: z.array(Renewal) }) } },
    },
    ...problemResponses(400, 401, 404),
  },
});

const reportRoute = createRoute({
  method: "get",
  path: "/reports/retention",
  operationId: "getRetentionReport",
  tags: ["Retention"],
  summary: "GRR and NRR by period and tier, over the contracts that came up for renewal",
  security: bearerSecurity,
  request: { query: RetentionQuery },
  responses: {
    200: { description: "The report", content: { "application/json": { schema: RetentionReport } } },
    ...problemResponses(400, 401),
  },
});

const notFound = (id: string) =>
  new ProblemError({ status: 404, type: "not-found", detail: `No account with externalId "${id}".` });

export function renewalsRouter() {
  return createRouter()
    .openapi(putRoute, async (c) => {
      const { externalId, renewalDate } = c.req.valid("param");
      const { deps, workspaceId } = c.var;
      const result = await recordRenewal(
        deps,
        workspaceId,
        externalId,
        renewalDate,
        c.req.valid("json"),
        deps.clock.now(),
      );
      if (result.ok) return c.json(result.renewal, 200);
      if (result.refusal === "not_found") throw notFound(externalId);
      throw new ProblemError({
        status: statusOfRefusal(result.refusal),
        type: "validation",
        detail: "The renewal does not add up.",
        errors: result.errors,
      });
    })
    .openapi(listRoute, async (c) => {
      const { externalId } = c.req.valid("param");
      const renewals = await listRenewals(c.var.deps.db, c.var.workspaceId, externalId);
      if (!renewals) throw notFound(externalId);
      return c.json({ data: renewals }, 200);
    })
    .openapi(reportRoute, async (c) => {
      const query = c.req.valid("query");
      if (query.from && query.to && query.from > query.to)
        throw new ProblemError({
          status: 400,
          type: "validation",
          detail: "`from` is after `to`.",
          errors: [{ pointer: "/from", message: "must not be after `to`" }],
        });
      return c.json(
        await retentionReport(c.var.deps.db, c.var.workspaceId, query, c.var.deps.clock.now()),
        200,
      );
    });
}
