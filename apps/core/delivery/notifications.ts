import { sendEmail } from "./channels/email";
import { csmMailFacts, decide } from "./decide";
import type { DeliveryDeps } from "./deliver-touch";
import { domainOf } from "./sender";
import { claim, outcomeOf, settle, type TouchOutcome } from "./touch-record";
import { sendWebhook, WEBHOOK_ATTEMPTS } from "./webhooks";

/**
 * An email to a CSM (escalations use it until the escalation inbox exists), exactly once per key,
 * through the arbiter as CSM mail: the touch record is its already-sent, and no journey holds it.
 */
export async function notifyCsm(
  deps: DeliveryDeps,
  n: {
    workspaceId: string;
    enrollmentId: string;
    key: string;
    /** The workspace's sender (settings.email.from), which the caller has read. */
    from: string;
    to: string | null;
    subject: string;
    text: string;
    /** The HTML part, when the message has one (the text part is then its plain-text twin). */
    html?: string;
    at: string;
  },
): Promise<TouchOutcome> {
  // With nobody to tell, the claim records it skipped in the same statement.
  const unsent = n.to ? undefined : ({ status: "skipped", reason: "no owner CSM" } as const);
  const claimed = await claimNotification(deps, n, "csm-notification", n.to ?? "owner_csm", unsent);
  if (claimed.done) return outcomeOf(claimed.done, true);
  if (!n.to)
    return claimed.fresh
      ? outcomeOf(claimed.row, false)
      : settle(deps, claimed.row, "skipped", "no owner CSM", {});
  const decision = decide(csmMailFacts(n.to, n.at, { paused: false, alreadySent: false }));
  if (decision.decision !== "send")
    return {
      ...(await settle(deps, claimed.row, "skipped", decision.decision, { decisions: [decision] })),
      decisions: [decision],
    };
  const messageId = `<${claimed.row.id}@${domainOf(n.from)}>`;
  const result = await sendEmail(deps, {
    workspaceId: n.workspaceId,
    name: `${n.enrollmentId}-${n.key}`,
    from: n.from,
    to: n.to,
    subject: n.subject,
    ...(n.html !== undefined ? { html: n.html } : {}),
    text: n.text,
    messageId,
    at: n.at,
    headers: { "X-Volante-Enrollment": n.enrollmentId, "X-Volante-Touch": n.key },
  });
  if (!result.ok) return settle(deps, claimed.row, "failed", result.reason, { recipients: [n.to] });
  return settle(deps, claimed.row, "sent", null, {
    recipients: [n.to],
    messageIds: [messageId],
    files: result.file ? [result.file] : [],
    subject: n.subject,
  });
}

/**
 * A Slack-compatible JSON notification (`text` plus structured detail) to the workspace's webhook,
 * once per key. A transient failure throws so the calling activity retries; the touch row stays
 * pending and the retry posts again with the same idempotency key.
 */
export async function notifyWebhook(
  deps: DeliveryDeps,
  n: {
    workspaceId: string;
    enrollmentId: string;
    key: string;
    url: string;
    text: string;
    detail: Record<string, unknown>;
    attempt: number;
  },
): Promise<TouchOutcome> {
  const claimed = await claimNotification(deps, n, "csm-webhook", new URL(n.url).host);
  if (claimed.done) return outcomeOf(claimed.done, true);
  const result = await sendWebhook(
    deps,
    n.workspaceId,
    n.url,
    { text: n.text, ...n.detail },
    { idempotencyKey: `${n.enrollmentId}:${n.key}`, attempt: n.attempt, maxAttempts: WEBHOOK_ATTEMPTS },
  );
  return result.ok
    ? settle(deps, claimed.row, "sent", null, { recipients: [n.url], status: result.status })
    : settle(deps, claimed.row, "failed", result.error, { recipients: [n.url] });
}

/** A notification's touch record, claimed once per key like a journey touch: a retry never notifies twice. */
function claimNotification(
  deps: Pick<DeliveryDeps, "db">,
  n: { workspaceId: string; enrollmentId: string; key: string },
  template: "csm-notification" | "csm-webhook",
  recipient: string,
  ending?: { status: "skipped"; reason: string },
) {
  return claim(
    deps.db,
    {
      workspaceId: n.workspaceId,
      enrollmentId: n.enrollmentId,
      touchKey: n.key,
      stepId: n.key.split(":")[1] ?? n.key,
      channel: "notification",
      template,
      recipient,
    },
    ending,
  );
}
