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
  opts: { idempotencyKey: string; attempt: number; maxAttempts: number },
): Promise<WebhookOutcome> {
  const last = opts.attempt >= opts.maxAttempts;
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      // Retries resend the same request; the key lets the receiver drop duplicates.
      headers: {
        "content-type": "application/json",
        "user-agent": "Volante",
        "idempotency-key": opts.idempotencyKey,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    if (!last) throw err;
    return { ok: false, error: (err as Error).message };
  }
  if (res.ok) return { ok: true, status: res.status };
  const transient = res.status >= 500 || res.status === 429 || res.status === 408;
  if (transient && !last) throw new Error(`webhook answered ${res.status}`);
  return { ok: false, status: res.status, error: `webhook answered ${res.status}` };
}
