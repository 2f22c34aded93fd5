import type { Clock } from "../core/shared/services";

/** `limit` requests per `windowMs` on average, and up to `limit` at once (a token bucket that full). */
export type Rate = { limit: number; windowMs: number };

/** The bucket of one key after a request, in the terms of the RateLimit headers and Retry-After. */
export type Verdict = {
  ok: boolean;
  limit: number;
  /** Whole tokens left. */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until the next token (0 while there is one). */
  retryAfterSeconds: number;
};

type Bucket = { tokens: number; at: number };

/** Enough for every client of a busy instance; about 150 bytes each, so a few MB at most. */
const MAX_KEYS = 50_000;

/**
 * Token buckets by key (a client address, an API key id), in this process's memory. The map is
 * bounded: a bucket that has refilled is the same as none, so the least recently used ones are
 * dropped as they go idle, and the oldest beyond `maxKeys` whatever their state.
 */
export function createTokenBuckets(rate: Rate, clock: Clock, maxKeys = MAX_KEYS) {
  const buckets = new Map<string, Bucket>();
  const perMs = rate.limit / rate.windowMs;
  // A failure charged while the bucket was empty leaves a debt, but never more than one window's worth.
  const floor = -rate.limit;

  /** The key's bucket refilled up to now, moved to the most recently used end. */
  function refilled(key: string, now: number): Bucket {
    const bucket = buckets.get(key);
    buckets.delete(key);
    if (!bucket) return { tokens: rate.limit, at: now };
    // A clock set back (tests move it) refills nothing rather than draining the bucket.
    const elapsed = Math.max(0, now - bucket.at);
    return { tokens: Math.min(rate.limit, bucket.tokens + elapsed * perMs), at: Math.max(now, bucket.at) };
  }

  function store(key: string, bucket: Bucket, now: number) {
    buckets.set(key, bucket);
    for (const [oldest, b] of buckets) {
      const idle = b.tokens + (now - b.at) * perMs >= rate.limit;
      if (!idle && buckets.size <= maxKeys) break;
      buckets.delete(oldest);
    }
  }

  function verdict(ok: boolean, tokens: number): Verdict {
    return {
      ok,
      limit: rate.limit,
      remaining: Math.max(0, Math.floor(tokens)),
      resetSeconds: Math.ceil((rate.limit - tokens) / perMs / 1000),
      retryAfterSeconds: tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)),
    };
  }

  return {
    /** Takes a token if there is one: the request may go on. */
    take(key: string): Verdict {
      const now = clock.now().getTime();
      const bucket = refilled(key, now);
      const ok = bucket.tokens >= 1;
      if (ok) bucket.tokens -= 1;
      store(key, bucket, now);
      return verdict(ok, bucket.tokens);
    },
    /** Whether the key has a token, taking none. */
    check(key: string): Verdict {
      const bucket = buckets.get(key);
      if (!bucket) return verdict(true, rate.limit);
      const now = clock.now().getTime();
      const tokens = Math.min(rate.limit, bucket.tokens + Math.max(0, now - bucket.at) * perMs);
      return verdict(tokens >= 1, tokens);
    },
    /** Takes a token even when none is left: for what is counted after the fact (a failed authentication). */
    charge(key: string): void {
      const now = clock.now().getTime();
      const bucket = refilled(key, now);
      bucket.tokens = Math.max(floor, bucket.tokens - 1);
      store(key, bucket, now);
    },
    get size() {
      return buckets.size;
    },
  };
}
