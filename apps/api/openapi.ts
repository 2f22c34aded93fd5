import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "./context";
import { Problem, validationHook } from "./problem";

const problemDescriptions: Record<number, string> = {
  400: "Malformed request (bad JSON or query parameters)",
  401: "Missing, unknown or revoked API key",
  404: "Not found in this workspace",
  413: "Request too large",
  422: "The body is not valid; `errors` has a JSON pointer per bad field",
};

const problemContent = { "application/problem+json": { schema: Problem } };

/**
 * Documents problem+json responses for the given statuses, and as `default` every other error any
 * route can answer (a bad path or query parameter, 413, 415, 429, 500): all errors are problem+json.
 */
export function problemResponses<const S extends readonly number[]>(...statuses: S) {
  return {
    ...Object.fromEntries(
      statuses.map((status) => [
        status,
        { description: problemDescriptions[status] ?? "Problem", content: problemContent },
      ]),
    ),
    default: {
      description:
        "Any other error, as RFC 9457 problem details; 429 (rate limited) comes with `Retry-After` in seconds",
      content: problemContent,
    },
  } as {
    [K in S[number] | "default"]: { description: string; content: typeof problemContent };
  };
}

export const bearerSecurity = [{ bearerAuth: [] }];

/**
 * A path parameter checked by a plain zod string schema (those in workflows/ cannot carry OpenAPI
 * metadata): documented as a string with that schema's pattern, so clients and fuzzers send what it accepts.
 */
export function pathParam(name: string, schema: z.ZodType<string, string>, example: string) {
  const { pattern } = z.toJSONSchema(schema) as { pattern?: string };
  return z
    .string()
    .meta({ param: { name, in: "path" }, example, ...(pattern ? { pattern } : {}) })
    .pipe(schema);
}

/** A router whose validation failures are problem+json, as every router of the API. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
