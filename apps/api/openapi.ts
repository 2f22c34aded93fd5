import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./context";
import { Problem, validationHook } from "./problem";

const problemDescriptions: Record<number, string> = {
  400: "Malformed request (bad JSON or query parameters)",
  401: "Missing, unknown or revoked API key",
  404: "Not found in this workspace",
  413: "Request too large",
  422: "The body is not valid; `errors` has a JSON pointer per bad field",
};

/** Documents problem+json responses for the given statuses. */
export function problemResponses<const S extends readonly number[]>(...statuses: S) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: problemDescriptions[status] ?? "Problem",
        content: { "application/problem+json": { schema: Problem } },
      },
    ]),
  ) as {
    [K in S[number]]: {
      description: string;
      content: { "application/problem+json": { schema: typeof Problem } };
    };
  };
}

export const bearerSecurity = [{ bearerAuth: [] }];

/** A router whose validation failures are problem+json, as every router of the API. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
