/** What a client should wait before retrying a call that needed Temporal while it was away. */
export const temporalRetryAfterSeconds = 5;

// gRPC status codes: UNAVAILABLE (no server, or the gate refused the call) and DEADLINE_EXCEEDED.
const unreachableCodes = new Set([14, 4]);

/**
 * Whether `err` (or an error it wraps) says Temporal could not be reached, rather than refused the
 * call: the request may be retried as it was once Temporal is back.
 */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "number" && unreachableCodes.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
