import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { InvalidQueryError } from "../core/shared/pagination";
import type { Refusal } from "../core/shared/refusal";
import { isTemporalUnavailable, temporalRetryAfterSeconds } from "../core/shared/temporal-unavailable";
import { unstorableJson } from "../core/shared/validators";

/** One field-level problem: a JSON pointer into the request part named by `in`. */
export const ProblemFieldError = z.object({
  pointer: z.string().meta({ example: "/events/3/occurredAt" }),
  message: z.string(),
  in: z.enum(["body", "query", "path", "header"]).optional(),
});
export type ProblemFieldError = z.infer<typeof ProblemFieldError>;

/** RFC 9457 problem details, as every error response of the API. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(ProblemFieldError).optional(),
  })
  .meta({ id: "Problem" });
export type Problem = z.infer<typeof Problem>;

const titles: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export type ProblemInit = {
  status: ContentfulStatusCode;
  /** Short slug naming the kind of problem; becomes the `type` URI. */
  type?: string;
  title?: string;
  detail?: string;
  errors?: ProblemFieldError[];
  extra?: Record<string, unknown>;
};

/** The HTTP status of a core use case's refusal: the one place the API maps them. */
export function statusOfRefusal(refusal: Refusal): 404 | 409 | 422 {
  return refusal === "not_found" ? 404 : refusal === "conflict" ? 409 : 422;
}

/** Thrown anywhere in a handler; `onError` turns it into problem+json. */
export class ProblemError extends Error {
  constructor(readonly init: ProblemInit) {
    super(init.detail ?? init.title ?? titles[init.status] ?? "Error");
  }
}

export function problemBody(c: Context, init: ProblemInit): Problem & Record<string, unknown> {
  return {
    type: init.type ? `urn:volante:problem:${init.type}` : "about:blank",
    title: init.title ?? titles[init.status] ?? "Error",
    status: init.status,
    ...(init.detail ? { detail: init.detail } : {}),
    instance: c.req.path,
    requestId: c.get("requestId"),
    ...(init.errors ? { errors: init.errors } : {}),
    ...init.extra,
  };
}

export function problem(c: Context, init: ProblemInit): Response {
  return c.newResponse(JSON.stringify(problemBody(c, init)), init.status, {
    "content-type": "application/problem+json",
  });
}

/** Turns zod issues into pointers relative to the request part that was validated. */
export function issuesToErrors(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  where: ProblemFieldError["in"],
  prefix = "",
): ProblemFieldError[] {
  return issues.map((issue) => ({
    pointer:
      prefix + issue.path.map((p) => `/${String(p).replaceAll("~", "~0").replaceAll("/", "~1")}`).join(""),
    message: issue.message,
    ...(where && where !== "body" ? { in: where } : {}),
  }));
}

const targetToIn = { json: "body", query: "query", param: "path", header: "header" } as const;

/**
 * The validation hook of every route: 422 (body) or 400 (query, path) problem+json with one pointer
 * per bad field. What Postgres cannot store (NUL, a lone surrogate, deep nesting) is refused here for every
 * validated part of every request, so no route can forget it and answer a 500 from the database.
 */
export function validationHook(
  result:
    | { success: true; data: unknown; target: string }
    | { success: false; error: z.ZodError; target: string; data?: unknown },
  c: Context,
): Response | undefined {
  const where = targetToIn[result.target as keyof typeof targetToIn] ?? "body";
  const issues = result.success ? [] : issuesToErrors(result.error.issues, where);
  const reported = new Set(issues.map((e) => e.pointer));
  const errors = [
    ...issues,
    // On failure `data` is the raw input: what it cannot store is reported beside the schema's issues.
    ...issuesToErrors(unstorableJson(result.data), where).filter((e) => !reported.has(e.pointer)),
  ];
  if (errors.length === 0) return undefined;
  return problem(c, {
    status: result.target === "json" ? 422 : 400,
    type: "validation",
    title: "Your request is not valid",
    detail: `${errors.length} problem(s) in the request ${where}.`,
    errors,
  });
}

/** The app's onError: expected problems keep their status, anything else is a 500 with the request id. */
export function errorHandler(onUnexpected: (err: unknown, c: Context) => void) {
  return function handleError(err: Error, c: Context): Response {
    if (err instanceof ProblemError) return problem(c, err.init);
    if (err instanceof InvalidQueryError) {
      return problem(c, {
        status: 400,
        type: "validation",
        errors: [{ pointer: `/${err.parameter}`, message: err.message, in: "query" }],
      });
    }
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      const malformed = status === 400 && /json/i.test(err.message);
      return problem(c, {
        status,
        ...(malformed ? { type: "malformed-json", detail: "The request body is not valid JSON." } : {}),
        ...(!malformed && err.message ? { detail: err.message } : {}),
      });
    }
    if (isTemporalUnavailable(err)) {
      const res = problem(c, {
        status: 503,
        type: "temporal-unavailable",
        detail: `Temporal, which runs the journeys, cannot be reached right now. Retry in ${temporalRetryAfterSeconds} s.`,
      });
      res.headers.set("retry-after", String(temporalRetryAfterSeconds));
      return res;
    }
    onUnexpected(err, c);
    return problem(c, { status: 500, detail: "Something went wrong on our side; quote the request id." });
  };
}
