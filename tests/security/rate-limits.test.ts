import { createHmac } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../apps/api/app";
import type { AppDeps } from "../../apps/api/context";
import type { RateLimits } from "../../apps/api/rate-limits";
import { createTokenBuckets } from "../../apps/api/token-buckets";
import type { Clock } from "../../apps/core/shared/services";
import { revokeApiKey } from "../../apps/core/workspace/api-keys";
import { parseEnv } from "../../apps/env";
import { apiKeys } from "../../db/schema";
import { startTestStack, type TestStack, type TestWorkspace } from "../harness";

// Time moves only when a test moves it: a budget refills exactly as far as the test says.
let now = Date.parse("2026-03-02T09:00:00Z");
const clock: Clock = { now: () => new Date(now) };
const advance = (seconds: number) => {
  now += seconds * 1000;
};

const perMinute = (limit: number) => ({ limit, windowMs: 60_000 });

let stack: TestStack;
let ws: TestWorkspace;
let other: TestWorkspace;
const servers: ReturnType<typeof serve>[] = [];

beforeAll(async () => {
  stack = await startTestStack({ clock });
  ws = await stack.newWorkspace("Budget");
  other = await stack.newWorkspace("Other budget");
});
afterAll(async () => {
  for (const server of servers) {
    server.close();
    (server as unknown as { closeAllConnections(): void }).closeAllConnections();
  }
  await stack?.close();
});

type Client = (path: string, init?: { from?: string; key?: string; method?: string }) => Promise<Response>;

/**
 * The API with these budgets, listening on 127.0.0.1 as `npm start` does (the address comes from the
 * socket). Behind a trusted proxy on loopback, `from` is the client that proxy names in X-Forwarded-For.
 */
async function serveApi(rateLimits: Partial<RateLimits>, trustProxy?: string[]): Promise<Client> {
  const deps: AppDeps = { ...stack.deps, rateLimits, trustProxy };
  const app = createApp(deps);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  servers.push(server);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return (path, { from, key, method = "GET" } = {}) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(from ? { "x-forwarded-for": from } : {}),
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
    });
}

async function statuses(call: () => Promise<Response>, n: number): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) seen.push((await call()).status);
  return seen;
}

async function expectTooMany(res: Response, detail: RegExp): Promise<number> {
  expect(res.status).toBe(429);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = (await res.json()) as { type: string; title: string; detail: string };
  expect(body).toMatchObject({ type: "urn:volante:problem:rate-limited", title: "Too Many Requests" });
  expect(body.detail).toMatch(detail);
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  return retryAfter;
}

describe("failed authentication is throttled per client address", () => {
  it("answers 429 with Retry-After after a few invalid keys, even to a valid key, until a token refills", async () => {
    const api = await serveApi({ authFailures: perMinute(3) }, ["127.0.0.1"]);
    const guess = () => api("/v1/accounts", { from: "198.51.100.7", key: "vk_guess" });
    expect(await statuses(guess, 3)).toEqual([401, 401, 401]);
    const retryAfter = await expectTooMany(await guess(), /failed authentications/);
    expect(retryAfter).toBe(20);
    // The address is refused before its key is looked at: a correct key does not get in either...
    await expectTooMany(await api("/v1/accounts", { from: "198.51.100.7", key: ws.apiKey }), /failed/);
    // ...while another address, and the same key from it, are unaffected.
    expect((await api("/v1/accounts", { from: "198.51.100.8", key: ws.apiKey })).status).toBe(200);
    expect((await api("/v1/accounts", { from: "198.51.100.8", key: "vk_guess" })).status).toBe(401);

    advance(retryAfter - 1);
    await expectTooMany(await guess(), /failed/);
    advance(1);
    expect((await api("/v1/accounts", { from: "198.51.100.7", key: ws.apiKey })).status).toBe(200);
    // One token refilled, one more guess, and the address is out again.
    expect(await statuses(guess, 2)).toEqual([401, 429]);
  });

  it("counts a revoked key and a missing one as failures too", async () => {
    const api = await serveApi({ authFailures: perMinute(2) }, ["127.0.0.1"]);
    const victim = await stack.newWorkspace("Revoked");
    const [key] = await stack.database.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.workspaceId, victim.workspaceId));
    expect(await revokeApiKey(stack.database.db, victim.workspaceId, key?.id ?? "", clock.now())).toBe(true);
    expect((await api("/v1/accounts", { from: "198.51.100.9", key: victim.apiKey })).status).toBe(401);
    expect((await api("/v1/accounts", { from: "198.51.100.9" })).status).toBe(401);
    await expectTooMany(await api("/v1/accounts", { from: "198.51.100.9", key: ws.apiKey }), /failed/);
  });

  it("throttles wrong widget hashes the same way", async () => {
    const api = await serveApi({ authFailures: perMinute(3) }, ["127.0.0.1"]);
    const keys = (await (await ws.request("GET", "/v1/in-app/keys")).json()) as {
      publishableKey: string;
      identitySecret: string;
    };
    const messages = (contact: string, hash: string) =>
      `/in-app/messages?${new URLSearchParams({ key: keys.publishableKey, account: "acme", contact, hash })}`;
    const wrong = () => api(messages("ceo", "0".repeat(64)), { from: "203.0.113.20" });
    expect(await statuses(wrong, 3)).toEqual([401, 401, 401]);
    const limited = await wrong();
    await expectTooMany(limited, /failed authentications/);
    // The page that embeds the widget can read the 429 (and its Retry-After), not a CORS error.
    expect(limited.headers.get("access-control-allow-origin")).toBe("*");
    expect(limited.headers.get("access-control-expose-headers")).toBe("Retry-After");
    const right = createHmac("sha256", keys.identitySecret).update("acme/ceo").digest("hex");
    await expectTooMany(await api(messages("ceo", right), { from: "203.0.113.20" }), /failed/);
    expect((await api(messages("ceo", right), { from: "203.0.113.21" })).status).toBe(200);
  });
});

describe("request budgets", () => {
  it("stops a key over its budget while another key goes on, and says so in RateLimit headers", async () => {
    const api = await serveApi({ key: perMinute(4) }, ["127.0.0.1"]);
    const first = await api("/v1/accounts", { key: ws.apiKey });
    expect(first.status).toBe(200);
    expect([
      first.headers.get("ratelimit-limit"),
      first.headers.get("ratelimit-remaining"),
      first.headers.get("ratelimit-reset"),
    ]).toEqual(["4", "3", "15"]);
    expect(await statuses(() => api("/v1/accounts", { key: ws.apiKey }), 3)).toEqual([200, 200, 200]);
    const limited = await api("/v1/accounts", { key: ws.apiKey });
    expect(await expectTooMany(limited, /this API key/)).toBe(15);
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    // Same address, another key: its own budget.
    const another = await api("/v1/accounts", { key: other.apiKey });
    expect([another.status, another.headers.get("ratelimit-remaining")]).toEqual([200, "3"]);

    advance(15);
    expect(await statuses(() => api("/v1/accounts", { key: ws.apiKey }), 2)).toEqual([200, 429]);
  });

  it("limits /u and /t per client address", async () => {
    const api = await serveApi({ address: perMinute(3) }, ["127.0.0.1"]);
    const from = "192.0.2.44";
    expect(await statuses(() => api("/t/o/not-a-token", { from }), 2)).toEqual([200, 200]);
    expect((await api("/u/not-a-token", { from })).status).toBe(400);
    const limited = await api("/t/c/not-a-token", { from });
    expect(await expectTooMany(limited, /your address/)).toBe(20);
    await expectTooMany(await api("/u/not-a-token", { from, method: "POST" }), /your address/);
    expect((await api("/t/o/not-a-token", { from: "192.0.2.45" })).status).toBe(200);

    advance(20);
    expect(await statuses(() => api("/t/o/not-a-token", { from }), 2)).toEqual([200, 429]);
  });

  it("limits /v1 and the widget per client address whatever the key, but never /healthz", async () => {
    const api = await serveApi({ address: perMinute(2) }, ["127.0.0.1"]);
    const from = "192.0.2.60";
    expect((await api("/v1/accounts", { from, key: ws.apiKey })).status).toBe(200);
    expect((await api("/v1/accounts", { from, key: other.apiKey })).status).toBe(200);
    await expectTooMany(await api("/v1/accounts", { from, key: other.apiKey }), /your address/);
    await expectTooMany(await api("/in-app/messages", { from }), /your address/);
    expect(await statuses(() => api("/healthz", { from }), 3)).toEqual([200, 200, 200]);
  });

  it("turns a budget off with off", async () => {
    const api = await serveApi({ key: "off", address: "off" });
    expect(await statuses(() => api("/v1/accounts", { key: ws.apiKey }), 5)).toEqual([
      200, 200, 200, 200, 200,
    ]);
    const res = await api("/v1/accounts", { key: ws.apiKey });
    expect(res.headers.get("ratelimit-limit")).toBeNull();
  });
});

describe("the client address", () => {
  it("is the socket's peer: X-Forwarded-For is ignored unless the peer is a trusted proxy", async () => {
    const api = await serveApi({ address: perMinute(2) });
    expect(await statuses(() => api("/t/o/x", { from: "192.0.2.1" }), 2)).toEqual([200, 200]);
    // A client cannot buy a fresh budget by writing another address in the header.
    expect((await api("/t/o/x", { from: "192.0.2.2" })).status).toBe(429);
  });

  it("is the rightmost address a trusted proxy did not write, so a spoofed hop changes nothing", async () => {
    const api = await serveApi({ address: perMinute(2) }, ["127.0.0.1", "10.0.0.0/8"]);
    const via = (client: string, spoofed: string) => `${spoofed}, ${client}, 10.1.2.3`;
    expect((await api("/t/o/x", { from: via("203.0.113.9", "1.1.1.1") })).status).toBe(200);
    expect((await api("/t/o/x", { from: via("203.0.113.9", "2.2.2.2") })).status).toBe(200);
    expect((await api("/t/o/x", { from: via("203.0.113.9", "3.3.3.3") })).status).toBe(429);
    expect((await api("/t/o/x", { from: via("203.0.113.10", "1.1.1.1") })).status).toBe(200);
    // Garbage where the proxy's hop should be: the proxy itself is the client, not a fresh budget per string.
    expect(await statuses(() => api("/t/o/x", { from: "not-an-address" }), 3)).toEqual([200, 200, 429]);
    expect((await api("/t/o/x", { from: "also-not-one" })).status).toBe(429);
  });

  it("keys IPv6 clients by their /64, and IPv4-mapped IPv6 as IPv4", async () => {
    const api = await serveApi({ address: perMinute(2) }, ["127.0.0.1"]);
    expect((await api("/t/o/x", { from: "2001:db8:1:2::1" })).status).toBe(200);
    expect((await api("/t/o/x", { from: "2001:db8:1:2:ffff::9" })).status).toBe(200);
    expect((await api("/t/o/x", { from: "2001:db8:1:2::abcd" })).status).toBe(429);
    expect((await api("/t/o/x", { from: "2001:db8:1:3::1" })).status).toBe(200);
    expect((await api("/t/o/x", { from: "198.51.100.200" })).status).toBe(200);
    expect((await api("/t/o/x", { from: "198.51.100.200" })).status).toBe(200);
    expect((await api("/t/o/x", { from: "::ffff:198.51.100.200" })).status).toBe(429);
  });
});

describe("in-process requests", () => {
  it("have no address, so the per-address budgets leave them alone and the key's still counts", async () => {
    const app = createApp({ ...stack.deps, rateLimits: { key: perMinute(2), authFailures: perMinute(1) } });
    const call = async (key: string) =>
      app.request("/v1/accounts", { headers: { authorization: `Bearer ${key}` } });
    expect(await statuses(() => call("vk_guess"), 3)).toEqual([401, 401, 401]);
    expect(await statuses(() => call(ws.apiKey), 3)).toEqual([200, 200, 429]);
  });
});

describe("the buckets' memory", () => {
  it("stays bounded: idle buckets are dropped and the least recently used beyond the cap", () => {
    let t = 0;
    const buckets = createTokenBuckets(perMinute(10), { now: () => new Date(t) }, 100);
    for (let i = 0; i < 1_000; i++) buckets.take(`client-${i}`);
    expect(buckets.size).toBe(100);
    // The oldest were dropped, the newest kept its spent token.
    expect(buckets.check("client-999").remaining).toBe(9);
    t += 60_000;
    buckets.take("late");
    expect(buckets.size).toBe(1);
  });
});

describe("configuration", () => {
  it("reads VOLANTE_RATE_LIMIT_* as <count>/<s|min|h> or off, and VOLANTE_TRUST_PROXY as CIDRs", () => {
    const result = parseEnv({
      VOLANTE_RATE_LIMIT_KEY: "600/min",
      VOLANTE_RATE_LIMIT_ADDRESS: "off",
      VOLANTE_RATE_LIMIT_AUTH_FAILURES: " 5/S ",
      VOLANTE_TRUST_PROXY: "10.0.0.0/8, ::1",
    });
    expect(result.ok && result.env.rateLimits).toEqual({
      key: { limit: 600, windowMs: 60_000 },
      address: "off",
      authFailures: { limit: 5, windowMs: 1_000 },
    });
    expect(result.ok && result.env.VOLANTE_TRUST_PROXY).toEqual(["10.0.0.0/8", "::1"]);
    const unset = parseEnv({ VOLANTE_RATE_LIMIT_KEY: "0", VOLANTE_RATE_LIMIT_ADDRESS: "" });
    expect(unset.ok && unset.env.rateLimits).toEqual({
      key: "off",
      address: undefined,
      authFailures: undefined,
    });
  });

  it("names each bad value", () => {
    const result = parseEnv({
      VOLANTE_RATE_LIMIT_KEY: "fast",
      VOLANTE_RATE_LIMIT_ADDRESS: "100/day",
      VOLANTE_RATE_LIMIT_AUTH_FAILURES: "-1/min",
      VOLANTE_TRUST_PROXY: "the-proxy",
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    for (const name of [
      "VOLANTE_RATE_LIMIT_KEY",
      "VOLANTE_RATE_LIMIT_ADDRESS",
      "VOLANTE_RATE_LIMIT_AUTH_FAILURES",
    ])
      expect(result.message).toContain(`${name}: must be <count>/<s|min|h> (e.g. 600/min), or off`);
    expect(result.message).toContain("VOLANTE_TRUST_PROXY: must be comma-separated CIDRs");
  });
});
