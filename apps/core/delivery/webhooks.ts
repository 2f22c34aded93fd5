import { guardedPost, type OutboundPolicy } from "../shared/outbound";

/**
 * Outgoing webhooks (journey `webhook` steps, CSM notifications). Transient failures (network,
 * timeouts, 429, 5xx) throw so the calling activity retries with backoff; on the last attempt, or
 * on a permanent answer (other 4xx), the failure is returned to be recorded, never retried forever.
 */

export type WebhookOutcome = { ok: true; status: number } | { ok: false; status?: number; error: string };

const TIMEOUT_MS = 10_000;

export async function postWebhook(
  url: string,
  body: Record<string, unknown>,
  opts: { idempotencyKey: string; attempt: number; maxAttempts: number; policy: OutboundPolicy },
): Promise<WebhookOutcome> {
  const last = opts.attempt >= opts.maxAttempts;
  let answer: Awaited<ReturnType<typeof guardedPost>>;
  try {
    answer = await guardedPost(
      url,
      JSON.stringify(body),
      // Retries resend the same request; the key lets the receiver drop duplicates.
      { "content-type": "application/json", "user-agent": "Volante", "idempotency-key": opts.idempotencyKey },
      { policy: opts.policy, timeoutMs: TIMEOUT_MS },
    );
  } catch (err) {
    if (!last) throw err;
    return { ok: false, error: (err as Error).message };
  }
  // Refused by the outbound guard: nothing was sent, and retrying cannot change that.
  if (!answer.ok) return { ok: false, error: answer.error };
  const { status } = answer;
  if (status >= 200 && status < 300) return { ok: true, status };
  const transient = status >= 500 || status === 429 || status === 408;
  if (transient && !last) throw new Error(`webhook answered ${status}`);
  // A redirect is an answer like any other: it is not followed.
  return { ok: false, status, error: `webhook answered ${status}` };
}
