import { createHash, timingSafeEqual } from "node:crypto";
import { getConnInfo } from "@hono/node-server/conninfo";
import { Hono, type MiddlewareHandler } from "hono";
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { ensureHealthSchedules } from "../../core/health/schedules";
import { createKey, createWorkspace, listApiKeys, revokeKey } from "../../core/workspace/api-keys";
import { Role } from "../../core/workspace/roles";
import { createUserFromCli, listUsersFromCli, NewUser } from "../../core/workspace/users";
import type { AppEnv } from "../context";
import { problem } from "../problem";

/**
 * The CLI's way into a running Volante (docs/decisions/0033-one-writer.md): on embedded PGlite only
 * one process may open the database, so `volante keys …`, `workspaces create` and `migrate` ask the
 * running server to do it. Not a tenant API: never in the OpenAPI document, answered only to a
 * loopback peer that presents the token the server wrote to `<home>/admin-token` (owner-only).
 */
export type AdminDeps = {
  /** The secret written to `<home>/admin-token` at start. */
  token: string;
  /** Applies the migrations to the server's own database. */
  migrate: () => Promise<void>;
};

const KeysQuery = z.object({ workspace: z.string().max(100).optional() });
const CreateKey = z.strictObject({
  name: z.string().trim().min(1).max(200),
  workspace: z.string().max(100).optional(),
  role: Role.optional(),
});
const CreateUser = NewUser.extend({ workspace: z.string().max(100).optional() });
const RevokeKey = z.strictObject({ key: z.string().min(1).max(500) });
const CreateWorkspace = z.strictObject({ name: z.string().trim().min(1).max(200) });

export function adminRouter(admin: AdminDeps) {
  const router = new Hono<AppEnv>();
  router.use(adminOnly(admin.token));

  router.get("/keys", async (c) => {
    const query = KeysQuery.safeParse(c.req.query());
    if (!query.success) return invalid(c, "/workspace", "must be a workspace id");
    const keys = await listApiKeys(c.var.deps.db, query.data.workspace);
    return c.json({
      data: keys.map((k) => ({
        ...k,
        createdAt: k.createdAt.toISOString(),
        revokedAt: k.revokedAt?.toISOString() ?? null,
      })),
    });
  });

  router.post("/keys", async (c) => {
    const body = CreateKey.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) return invalid(c, `/${String(body.error.issues[0]?.path[0] ?? "")}`, "is not valid");
    return c.json(await createKey(c.var.deps.db, body.data.name, body.data.workspace, body.data.role));
  });

  router.post("/keys/revoke", async (c) => {
    const body = RevokeKey.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) return invalid(c, "/key", "is required: a key or its id");
    return c.json(await revokeKey(c.var.deps.db, body.data.key, c.var.deps.clock.now()));
  });

  router.post("/workspaces", async (c) => {
    const body = CreateWorkspace.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) return invalid(c, "/name", "is required");
    const { db, client, taskQueue, log } = c.var.deps;
    const created = await createWorkspace(db, body.data.name);
    // The running worker scores it from now on, as it does every workspace made at start.
    await ensureHealthSchedules(client, taskQueue, db, (m) => log.warn(m));
    return c.json(created, 201);
  });

  router.get("/users", async (c) => {
    const query = KeysQuery.safeParse(c.req.query());
    if (!query.success) return invalid(c, "/workspace", "must be a workspace id");
    return c.json(await listUsersFromCli(c.var.deps.db, query.data.workspace));
  });

  router.post("/users", async (c) => {
    const body = CreateUser.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) return invalid(c, `/${String(body.error.issues[0]?.path[0] ?? "")}`, "is not valid");
    const { workspace, ...input } = body.data;
    return c.json(await createUserFromCli(c.var.deps, input, workspace));
  });

  router.post("/migrate", async (c) => {
    await admin.migrate();
    return c.json({ ok: true });
  });

  return router;
}

function invalid(c: Parameters<typeof problem>[0], pointer: string, message: string): Response {
  return problem(c, { status: 422, type: "validation", errors: [{ pointer, message }] });
}

/**
 * Loopback peers presenting the token, and nothing a proxy relayed: a reverse proxy on the same host
 * connects from 127.0.0.1 too, but says so in its forwarding headers.
 */
function adminOnly(token: string): MiddlewareHandler<AppEnv> {
  const expected = createHash("sha256").update(token).digest();
  return async function adminOnlyMiddleware(c, next) {
    const forbidden = (detail: string) => problem(c, { status: 403, type: "forbidden", detail });
    if (!isLoopback(peerAddress(c))) return forbidden("The admin endpoint answers on loopback only.");
    if (c.req.header("x-forwarded-for") || c.req.header("forwarded") || c.req.header("origin")) {
      return forbidden("The admin endpoint does not answer relayed or browser requests.");
    }
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? "";
    const digest = createHash("sha256").update(presented).digest();
    if (!timingSafeEqual(digest, expected)) {
      return problem(c, {
        status: 401,
        type: "unauthorized",
        detail: "Present the token in <VOLANTE_HOME>/admin-token.",
      });
    }
    await next();
  };
}

function peerAddress(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string | undefined {
  // A request made in process (`app.request`) came from no socket: not a loopback peer.
  if (!(c.env as { incoming?: unknown } | undefined)?.incoming) return undefined;
  return getConnInfo(c).remote.address;
}

function isLoopback(address: string | undefined): boolean {
  if (!address || !ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === "loopback";
}
