import { createRoute, z } from "@hono/zod-openapi";
import { JourneyKey } from "../../../workflows/journey/schema";
import { BackfillPreview } from "../../core/journeys/backfill";
import { putJourneyDraft, showJourney } from "../../core/journeys/drafts";
import {
  getVersion,
  Journey,
  JourneyStatus,
  JourneyVersion,
  journeySummary,
  listJourneys,
  listVersions,
} from "../../core/journeys/journeys";
import { changeJourneyStatus } from "../../core/journeys/lifecycle";
import { PublishedVersion, PublishRequest, publish } from "../../core/journeys/publish";
import { SimulateRequest, SimulateResponse } from "../../core/journeys/simulate";
import { simulateJourney } from "../../core/journeys/simulate-journey";
import { JourneyStats, journeyStats } from "../../core/journeys/stats";
import { JourneyBody, MAX_INT4 } from "../../core/shared/validators";
import { bearerSecurity, createRouter, pathParam, problemResponses } from "../openapi";
import { Problem, ProblemError, statusOfRefusal } from "../problem";
import { bulkOperationPath, PreferHeader, prefersAsync } from "../respond-async";

const KeyParam = z.object({ key: pathParam("key", JourneyKey, "onboarding-tech-touch") });

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const JourneyListItem = z.object({
  key: z.string(),
  name: z.string(),
  status: JourneyStatus,
  latestVersion: z.number().int().nullable(),
  updatedAt: z.string(),
});
const JourneyState = z
  .object({
    key: z.string(),
    name: z.string(),
    status: JourneyStatus,
    latestVersion: z.number().int().nullable(),
  })
  .meta({ id: "JourneyState" });

export const putJourneyRoute = createRoute({
  method: "put",
  path: "/journeys/{key}",
  operationId: "saveJourneyDraft",
  tags: ["Journeys"],
  summary: "Save a draft",
  description:
    "Refused (422) only when the body is not shaped like a journey. Anything publishing would refuse comes back in `problems`, each with its JSON pointer.",
  security: bearerSecurity,
  request: {
    params: KeyParam,
    body: {
      required: true,
      content: { "application/json": { schema: JourneyBody } },
    },
  },
  responses: {
    200: json(Journey, "Draft updated"),
    201: json(Journey, "Journey created"),
    ...problemResponses(400, 401, 422),
    409: {
      description: "The journey is archived",
      content: { "application/problem+json": { schema: Problem } },
    },
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/journeys",
  operationId: "listJourneys",
  tags: ["Journeys"],
  summary: "List journeys",
  security: bearerSecurity,
  responses: {
    200: json(z.object({ data: z.array(JourneyListItem) }), "Journeys by key"),
    ...problemResponses(401),
  },
});

const getRoute = createRoute({
  method: "get",
  path: "/journeys/{key}",
  operationId: "getJourney",
  tags: ["Journeys"],
  summary: "A journey: status, latest version, draft and the draft's problems",
  security: bearerSecurity,
  request: { params: KeyParam },
  responses: { 200: json(Journey, "The journey"), ...problemResponses(401, 404) },
});

export const publishRoute = createRoute({
  method: "post",
  path: "/journeys/{key}/publish",
  operationId: "publishJourney",
  tags: ["Journeys"],
  summary: "Validate the draft and freeze it as the next immutable version",
  description:
    'With `backfill: true`, the accounts that already match the trigger and audience are enrolled too, set-based and safe to repeat (an account enrolled once is not enrolled again; `skipped` says why). Up to 1,000 matching accounts are enrolled before the answer; above that, or with `Prefer: respond-async`, the version is published at once and `backfill.operation` is the bulk operation enrolling them (its progress at `GET /v1/bulk-operations/{id}`, also given as a `Link` with `rel="monitor"`). `backfill: "dry_run"` only counts them over the draft: nothing is published or enrolled.',
  security: bearerSecurity,
  request: {
    params: KeyParam,
    headers: PreferHeader,
    body: { required: false, content: { "application/json": { schema: PublishRequest } } },
  },
  responses: {
    200: json(
      z.union([PublishedVersion, BackfillPreview]),
      "The draft is unchanged since the latest version, which is returned; or, for a dry run, the count",
    ),
    201: json(PublishedVersion, "Published as a new version"),
    ...problemResponses(401, 404, 422),
  },
});

const versionsRoute = createRoute({
  method: "get",
  path: "/journeys/{key}/versions",
  operationId: "listJourneyVersions",
  tags: ["Journeys"],
  summary: "Published versions, oldest first",
  security: bearerSecurity,
  request: { params: KeyParam },
  responses: {
    200: json(z.object({ data: z.array(JourneyVersion) }), "Versions"),
    ...problemResponses(401, 404),
  },
});

const versionRoute = createRoute({
  method: "get",
  path: "/journeys/{key}/versions/{version}",
  operationId: "getJourneyVersion",
  tags: ["Journeys"],
  summary: "One published version with its frozen definition",
  security: bearerSecurity,
  request: {
    params: KeyParam.extend({
      version: z.coerce
        .number()
        .int()
        .min(1)
        .max(MAX_INT4)
        .meta({ param: { name: "version", in: "path" }, example: 1 }),
    }),
  },
  responses: { 200: json(JourneyVersion, "The version"), ...problemResponses(400, 401, 404) },
});

function transitionRoute(action: "pause" | "resume" | "archive", summary: string) {
  return createRoute({
    method: "post",
    path: `/journeys/{key}/${action}`,
    operationId: `${action}Journey`,
    tags: ["Journeys"],
    summary,
    security: bearerSecurity,
    request: { params: KeyParam },
    responses: {
      200: json(JourneyState, "The journey's new state"),
      ...problemResponses(401, 404),
      409: {
        description: "Not possible from the current state",
        content: { "application/problem+json": { schema: Problem } },
      },
    },
  });
}

export const simulateRoute = createRoute({
  method: "post",
  path: "/journeys/{key}/simulate",
  operationId: "simulateJourney",
  tags: ["Journeys"],
  summary: "Who would get what, when: run the journey on a virtual clock before launch",
  description:
    "Over your accounts (with their stored events) or a synthetic population, between `from` and `to` (default: the last 90 days). Uses `definition` when given, else `version`, else the draft. An account enters again whenever its trigger fires and the re-entry policy allows. Escalations that hold a journey are assumed resolved at their SLA; opens and clicks are modelled at 45% / 12%. At most 731 days, and 2,000,000 account-days (accounts × days).",
  security: bearerSecurity,
  request: {
    params: KeyParam,
    body: { required: false, content: { "application/json": { schema: SimulateRequest } } },
  },
  responses: { 200: json(SimulateResponse, "The simulation"), ...problemResponses(400, 401, 404, 422) },
});

const statsRoute = createRoute({
  method: "get",
  path: "/journeys/{key}/stats",
  operationId: "getJourneyStats",
  tags: ["Journeys"],
  summary:
    "The per-step funnel: enrollments by status, goals, how many reached each step, touches by outcome",
  security: bearerSecurity,
  request: { params: KeyParam },
  responses: { 200: json(JourneyStats, "The funnel"), ...problemResponses(401, 404) },
});

const notFound = (key: string) =>
  new ProblemError({ status: 404, type: "not-found", detail: `No journey "${key}".` });

export function journeysRouter() {
  const router = createRouter()
    .openapi(putJourneyRoute, async (c) => {
      const { key } = c.req.valid("param");
      const { deps, workspaceId } = c.var;
      const result = await putJourneyDraft(deps, workspaceId, key, c.req.valid("json"));
      if (!result.ok) {
        throw new ProblemError({
          status: statusOfRefusal(result.refusal),
          type: result.refusal === "invalid" ? "validation" : "conflict",
          detail: result.detail,
          ...(result.problems.length ? { errors: result.problems } : {}),
        });
      }
      return result.created ? c.json(result.journey, 201) : c.json(result.journey, 200);
    })
    .openapi(listRoute, async (c) =>
      c.json({ data: await listJourneys(c.var.deps.db, c.var.workspaceId) }, 200),
    )
    .openapi(getRoute, async (c) => {
      const { key } = c.req.valid("param");
      const { deps, workspaceId } = c.var;
      const journey = await showJourney(deps, workspaceId, key);
      if (!journey) throw notFound(key);
      return c.json(journey, 200);
    })
    .openapi(publishRoute, async (c) => {
      const { key } = c.req.valid("param");
      const { deps, workspaceId } = c.var;
      const background = prefersAsync(c.req.valid("header").prefer);
      const result = await publish(deps, workspaceId, key, c.req.valid("json") ?? {}, {
        background,
        limits: deps.bulkLimits,
      });
      if (!result.ok) {
        throw new ProblemError({
          status: statusOfRefusal(result.refusal),
          type: { invalid: "journey-invalid", not_found: "not-found", conflict: "conflict" }[result.refusal],
          title: result.refusal === "invalid" ? "The journey cannot be published" : undefined,
          detail: result.detail,
          ...(result.problems.length ? { errors: result.problems } : {}),
        });
      }
      if ("preview" in result) return c.json(result.preview, 200);
      const backfill = result.version.backfill;
      if (backfill && "operation" in backfill) {
        c.header("Link", `<${bulkOperationPath(backfill.operation.id)}>; rel="monitor"`);
        if (background) c.header("Preference-Applied", "respond-async");
      }
      return result.created ? c.json(result.version, 201) : c.json(result.version, 200);
    })
    .openapi(statsRoute, async (c) => {
      const { key } = c.req.valid("param");
      const stats = await journeyStats(c.var.deps.db, c.var.workspaceId, key);
      if (!stats) throw notFound(key);
      return c.json(stats, 200);
    })
    .openapi(versionsRoute, async (c) => {
      const { key } = c.req.valid("param");
      const versions = await listVersions(c.var.deps.db, c.var.workspaceId, key);
      if (!versions) throw notFound(key);
      return c.json({ data: versions }, 200);
    })
    .openapi(versionRoute, async (c) => {
      const { key, version } = c.req.valid("param");
      const found = await getVersion(c.var.deps.db, c.var.workspaceId, key, version);
      if (!found)
        throw new ProblemError({
          status: 404,
          type: "not-found",
          detail: `No version ${version} of "${key}".`,
        });
      return c.json(found, 200);
    })
    .openapi(simulateRoute, async (c) => {
      const { key } = c.req.valid("param");
      const { deps, workspaceId } = c.var;
      const result = await simulateJourney(deps, workspaceId, key, c.req.valid("json") ?? {});
      if (!result.ok) {
        throw new ProblemError({
          status: statusOfRefusal(result.refusal),
          ...{
            not_found: { type: "not-found", detail: result.detail },
            journey_invalid: {
              type: "journey-invalid",
              title: "The journey cannot be simulated",
              detail: result.detail,
            },
            limits: { type: "validation" },
          }[result.why],
          ...(result.problems.length ? { errors: result.problems } : {}),
        });
      }
      return c.json(result.response, 200);
    });

  for (const [action, summary] of [
    ["pause", "Pause: running enrollments hold before their next touch"],
    ["resume", "Resume a paused journey"],
    ["archive", "Archive: no new enrollments, running ones exit"],
  ] as const) {
    router.openapi(transitionRoute(action, summary), async (c) => {
      const { key } = c.req.valid("param");
      const result = await changeJourneyStatus(c.var.deps, c.var.workspaceId, key, action);
      if (!result.ok) {
        throw new ProblemError({
          status: statusOfRefusal(result.refusal),
          type: result.refusal === "not_found" ? "not-found" : "conflict",
          detail: result.detail,
        });
      }
      return c.json(journeySummary(result.journey), 200);
    });
  }
  return router;
}
