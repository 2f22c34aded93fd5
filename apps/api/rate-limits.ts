import type { Rate } from "./token-buckets";

/** A budget, or `"off"`. */
export type RateLimit = Rate | "off";

export type RateLimits = {
  /** Requests per API key on /v1, counted once the key is known. */
  key: RateLimit;
  /** Requests per client address on /v1, /in-app, /u and /t, counted before anything else. */
  address: RateLimit;
  /**
   * Failed authentications (any 401: no, unknown or revoked API key; widget credentials that do not
   * verify) per client address on /v1 and /in-app. Once spent, that address gets 429 before its key is looked at.
   */
  authFailures: RateLimit;
};

const perMinute = (limit: number): Rate => ({ limit, windowMs: 60_000 });

/**
 * Far above what a well-behaved client, the test suite or `npm run bench` sends (the bench's API
 * scenario is 200 requests/s on one key for 20 s: within a minute's burst), so only floods meet them.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  key: perMinute(6_000),
  address: perMinute(12_000),
  // 10 guesses a minute: a brute force of keys (192 bits) or widget hashes (HMAC-SHA256) goes nowhere,
  // and a scanner stops costing a key lookup per request.
  authFailures: perMinute(10),
};
