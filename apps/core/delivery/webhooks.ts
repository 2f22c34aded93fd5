import { Webhook } from "standardwebhooks";
import { guardedPost, type OutboundPolicy } from "../shared/outbound";
import type { Services } from "../shared/services";
import { signingSecrets } from "../workspace/webhook-secret";
import { claim, settle } from "./touch-record";

/**
 * Outgoing webhooks (journey `webhook` steps, CSM notifications, health alerts), signed as the
 * Standard Webhooks specification says. Transient failures (network, timeouts, 429, 5xx) throw so the
 * calling activity retries with backoff; on the last attempt, or on a permanent answer (other 4xx),
 * the failure is returned to be recorded, never retried forever.
 */

export type WebhookOutcome = { ok: true; status: number } | { ok: false; status?: number; error: string };

const TIMEOUT_MS = 10_000;

/** Attempts before a journey webhook step or a notification webhook is recorded as failed. */
export const WEBHOOK_ATTEMPTS = 5;

/** The Standard Webhooks headers: one `v1,` signature per secret, space-separated (rotation). */
export function signatureHeaders(
  id: string,
  at: Date,
  payload: string,
  secrets: readonly string[],
): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": secrets.map((secret) => new Webhook(secret).sign(id, at, payload)).join(" "),
  };
}

/**
 * POSTs `body` signed with `secrets` at `at`. The idempotency key is the message id: the same on
 * every retry, so the receiver can drop duplicates.
 */
export async function postWebhook(
  url: string,
  body: Record<string, unknown>,
  opts: {
    idempotencyKey: string;
    attempt: number;
    maxAttempts: number;
    policy: OutboundPolicy;
    signing: { secrets: readonly string[]; at: Date };
  },
): Promise<WebhookOutcome> {
  const last = opts.attempt >= opts.maxAttempts;
  const payload = JSON.stringify(body);
  let answer: Awaited<ReturnType<typeof guardedPost>>;
  try {
    answer = await guardedPost(
      url,
      payload,
      {
        "content-type": "application/json",
        "user-agent": "Volante",
        "idempotency-key": opts.idempotencyKey,
        ...signatureHeaders(opts.idempotencyKey, opts.signing.at, payload, opts.signing.secrets),
      },
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

export type WebhookDeps = Pick<Services, "db" | "clock" | "outbound"> &
  Partial<Pick<Services, "log" | "metrics">>;

/**
 * A workspace's webhook: signed now with its secrets, read here so they never enter a workflow history.
 * A transient failure throws (the activity logs one line per attempt and retries); a failure for good
 * is logged here, once, with its cause, and returned to be recorded.
 */
export async function sendWebhook(
  deps: WebhookDeps,
  workspaceId: string,
  url: string,
  body: Record<string, unknown>,
  opts: { idempotencyKey: string; attempt: number; maxAttempts: number },
): Promise<WebhookOutcome> {
  const secrets = await signingSecrets(deps, workspaceId);
  let outcome: WebhookOutcome;
  try {
    outcome = await postWebhook(url, body, {
      ...opts,
      policy: deps.outbound,
      signing: { secrets, at: deps.clock.now() },
    });
  } catch (err) {
    deps.metrics?.webhooks.inc({ result: "retrying" });
    throw err;
  }
  deps.metrics?.webhooks.inc({ result: outcome.ok ? "delivered" : "failed" });
  if (!outcome.ok)
    deps.log?.warn("webhook failed for good", {
      workspaceId,
      // The host only: a path can carry a token (Slack's do).
      host: new URL(url).host,
      idempotencyKey: opts.idempotencyKey,
      attempt: opts.attempt,
      ...(outcome.status ? { status: outcome.status } : {}),
      error: outcome.error,
    });
  return outcome;
}

/**
 * A journey's webhook step, once per enrollment and step visit: its touch record is claimed first
 * and settled with the answer, so when a later effect of the same transition fails and the activity
 * retries, a delivered (or permanently failed) webhook is found done and not posted again.
 */
export async function webhookStepOnce(
  deps: WebhookDeps,
  step: {
    workspaceId: string;
    enrollmentId: string;
    stepId: string;
    key: string;
    url: string;
    body: Record<string, unknown>;
    attempt: number;
    maxAttempts: number;
  },
): Promise<WebhookOutcome> {
  const claimed = await claim(deps.db, {
    workspaceId: step.workspaceId,
    enrollmentId: step.enrollmentId,
    touchKey: `webhook:${step.key}`,
    stepId: step.stepId,
    channel: "webhook",
    template: "webhook",
    // The host only: a path can carry a token (Slack's do).
    recipient: new URL(step.url).host,
  });
  if (claimed.done) {
    const { status } = claimed.done.delivery as { status?: number };
    return claimed.done.status === "sent"
      ? { ok: true, status: status ?? 200 }
      : { ok: false, ...(status ? { status } : {}), error: claimed.done.reason ?? "failed" };
  }
  // A transient failure throws here and leaves the record pending: the retry posts again.
  const outcome = await sendWebhook(deps, step.workspaceId, step.url, step.body, {
    idempotencyKey: `${step.enrollmentId}:${step.key}`,
    attempt: step.attempt,
    maxAttempts: step.maxAttempts,
  });
  await settle(deps, claimed.row, outcome.ok ? "sent" : "failed", outcome.ok ? null : outcome.error, {
    recipients: [claimed.row.recipient],
    ...(outcome.status ? { status: outcome.status } : {}),
  });
  return outcome;
}
