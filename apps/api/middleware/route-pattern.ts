import type { Context } from "hono";
import { matchedRoutes } from "hono/route";

/** The pattern of the route that answered (`/v1/accounts/:externalId`), never the raw path: labels and log fields stay bounded and free of ids. */
export function routePattern(c: Context): string {
  return matchedRoutes(c).findLast((r) => r.method !== "ALL")?.path ?? "unmatched";
}
