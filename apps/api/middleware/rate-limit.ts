import type { Context, MiddlewareHandler } from "hono";
import { clientAddressOf } from "../client-address";
import type { AppDeps, AppEnv } from "../context";
import { problem } from "../problem";
import { DEFAULT_RATE_LIMITS, type RateLimit, type RateLimits } from "../rate-limits";
import { createTokenBuckets, type Verdict } from "../token-buckets";

/**
 * The API's request budgets, as middleware. Token buckets in this process's memory: each API process
 * enforces the whole budget on its own, so N processes behind a balancer allow N times as much
 * (docs/decisions/0022-rate-limits.md).
 */
export function rateLimits(deps: Pick<AppDeps, "clock" | "rateLimits" | "trustProxy">) {
  const limits: RateLimits = { ...DEFAULT_RATE_LIMITS };
  for (const [name, limit] of Object.entries(deps.rateLimits ?? {}))
    if (limit) limits[name as keyof RateLimits] = limit;
  const buckets = (limit: RateLimit) => (limit === "off" ? undefined : createTokenBuckets(limit, deps.clock));
  const byAddress = buckets(limits.address);
  const byKey = buckets(limits.key);
  const failures = buckets(limits.authFailures);
  const addressOf = clientAddressOf(deps.trustProxy ?? []);
  const clientAddress = (c: Context<AppEnv>) => {
    if (!c.get("clientAddress")) c.set("clientAddress", addressOf(c) ?? "");
    return c.get("clientAddress");
  };

  // A request made in process has no address: the per-address budgets leave it alone (one shared
  // budget would let one test's failures lock out the next test's requests).
  const perAddress: MiddlewareHandler<AppEnv> = async function rateLimitPerAddress(c, next) {
    const address = clientAddress(c);
    if (!byAddress || !address) return next();
    const verdict = byAddress.take(address);
    if (!verdict.ok) return tooMany(c, verdict, "Too many requests from your address.");
    await next();
    advertise(c, verdict);
  };

  const authFailures: MiddlewareHandler<AppEnv> = async function rateLimitAuthFailures(c, next) {
    const address = clientAddress(c);
    if (!failures || !address) return next();
    const verdict = failures.check(address);
    if (!verdict.ok) return tooMany(c, verdict, "Too many failed authentications from your address.");
    await next();
    // Counted after the answer, so concurrent guesses all count: the debt they leave keeps the address out longer.
    if (c.res.status === 401) failures.charge(address);
  };

  const perKey: MiddlewareHandler<AppEnv> = async function rateLimitPerKey(c, next) {
    if (!byKey) return next();
    const verdict = byKey.take(c.get("apiKeyId"));
    if (!verdict.ok) return tooMany(c, verdict, "Too many requests with this API key.");
    await next();
    advertise(c, verdict);
  };

  return { perAddress, authFailures, perKey };
}

/** 429 problem+json saying when to come back. */
function tooMany(c: Context<AppEnv>, verdict: Verdict, why: string): Response {
  const res = problem(c, {
    status: 429,
    type: "rate-limited",
    detail: `${why} Retry in ${verdict.retryAfterSeconds} s.`,
  });
  res.headers.set("Retry-After", String(verdict.retryAfterSeconds));
  for (const [name, value] of headersOf(verdict)) res.headers.set(name, value);
  return res;
}

/**
 * The RateLimit-* headers (draft-ietf-httpapi-ratelimit-headers) of the tighter budget: on /v1 both the
 * key's and the address's apply, and the client is told about the one with fewer requests left.
 */
function advertise(c: Context<AppEnv>, verdict: Verdict) {
  const shown = c.res.headers.get("RateLimit-Remaining");
  if (shown !== null && Number(shown) < verdict.remaining) return;
  for (const [name, value] of headersOf(verdict)) c.header(name, value);
}

function headersOf(verdict: Verdict): [string, string][] {
  return [
    ["RateLimit-Limit", String(verdict.limit)],
    ["RateLimit-Remaining", String(verdict.remaining)],
    ["RateLimit-Reset", String(verdict.resetSeconds)],
  ];
}
