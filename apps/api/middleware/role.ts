import type { MiddlewareHandler } from "hono";
import { roleAtLeast } from "../../core/workspace/roles";
import { minimumRole } from "../access";
import type { AppEnv } from "../context";
import { problem } from "../problem";
import { routePattern } from "./route-pattern";

/** 403 unless the API key's role reaches the operation's minimum (apps/api/access.ts). */
export function requireRole(): MiddlewareHandler<AppEnv> {
  return async function requireRoleMiddleware(c, next) {
    const pattern = routePattern(c);
    // No route: the 404 says so, whatever the role.
    if (pattern === "unmatched") return next();
    const needed = minimumRole(c.req.method, pattern);
    const role = c.get("role");
    if (!roleAtLeast(role, needed))
      return problem(c, {
        status: 403,
        type: "forbidden",
        detail: `This API key's role is ${role}; ${c.req.method} ${pattern} needs ${needed} or above.`,
      });
    await next();
  };
}
