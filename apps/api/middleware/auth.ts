import type { MiddlewareHandler } from "hono";
import { findKeyOwner } from "../../core/workspace/api-keys";
import type { AppEnv } from "../context";
import { problem } from "../problem";

/** Bearer API key → workspace; every /v1 query is then scoped to `c.var.workspaceId`. */
export function apiKeyAuth(): MiddlewareHandler<AppEnv> {
  return async function apiKeyAuthMiddleware(c, next) {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const unauthorized = (detail: string) =>
      problem(c, { status: 401, type: "unauthorized", detail, extra: {} });
    if (!match?.[1]) {
      c.header("WWW-Authenticate", 'Bearer realm="volante"');
      return unauthorized("Send your API key as `Authorization: Bearer <key>`.");
    }
    const owner = await findKeyOwner(c.var.deps.db, match[1]);
    if (!owner) {
      c.header("WWW-Authenticate", 'Bearer realm="volante", error="invalid_token"');
      return unauthorized("This API key is unknown or has been revoked.");
    }
    c.set("workspaceId", owner.workspaceId);
    c.set("apiKeyId", owner.keyId);
    c.set("role", owner.role);
    await next();
  };
}
