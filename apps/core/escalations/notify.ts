import type { escalations } from "../../../db/schema/index";
import type { DeliveryDeps } from "../delivery/deliver-touch";
import { notifyCsm, notifyWebhook } from "../delivery/notifications";
import type { TouchOutcome } from "../delivery/touch-record";
import { getSettings } from "../workspace/settings";

const headline = {
  opened: "Escalated",
  assigned: "Assigned",
  reminder: "Reminder",
  breach: "SLA missed",
} as const;

/**
 * Tells people about an escalation, each message exactly once per stage: the assignee by email,
 * the workspace webhook (Slack-compatible) when one is set, and on an SLA breach the manager.
 * `assigned` (a reassign, or a CSM picked late) only emails the new assignee, once per assignee.
 * Returns the assignee email's outcome (the journey's trace records it).
 */
export async function notifyEscalation(
  deps: DeliveryDeps,
  n: {
    escalation: typeof escalations.$inferSelect;
    account: string;
    stage: "opened" | "assigned" | "reminder" | "breach";
    journey?: string;
    at: string;
    attempt: number;
  },
): Promise<TouchOutcome> {
  const x = n.escalation;
  const settings = await getSettings(deps.db, x.workspaceId, deps.log);
  const base =
    n.stage === "opened"
      ? `escalation:${x.escalationKey}`
      : n.stage === "assigned"
        ? `escalation:${x.escalationKey}:assigned:${x.assignee}`
        : `escalation:${x.escalationKey}:${n.stage}`;
  const subject =
    n.stage === "opened"
      ? `[${x.priority}] ${n.account}: ${x.reason}`
      : n.stage === "assigned"
        ? `[${x.priority}] Assigned to you: ${n.account}: ${x.reason}`
        : n.stage === "reminder"
          ? `Reminder, due ${x.dueAt.toISOString()}: ${n.account}: ${x.reason}`
          : `[${x.priority}] SLA missed: ${n.account}: ${x.reason}`;
  const text = [
    x.reason,
    "",
    ...(n.journey ? [`Journey: ${n.journey}`] : []),
    `Assignee: ${x.assignee ?? "nobody (no CSM with room)"}`,
    `Priority: ${x.priority}`,
    `Due: ${x.dueAt.toISOString()}`,
    `Status: ${x.status}`,
  ].join("\n");
  const email = await notifyCsm(deps, {
    workspaceId: x.workspaceId,
    enrollmentId: x.enrollmentId,
    key: base,
    from: settings.email.from,
    to: x.assignee,
    subject,
    text,
    at: n.at,
  });
  if (n.stage === "assigned") return email;
  const { managerEmail, webhookUrl } = settings.notifications;
  if (n.stage === "breach" && managerEmail) {
    await notifyCsm(deps, {
      workspaceId: x.workspaceId,
      enrollmentId: x.enrollmentId,
      key: `${base}:manager`,
      from: settings.email.from,
      to: managerEmail,
      subject,
      text,
      at: n.at,
    });
  }
  if (webhookUrl) {
    await notifyWebhook(deps, {
      workspaceId: x.workspaceId,
      enrollmentId: x.enrollmentId,
      key: `${base}:webhook`,
      url: webhookUrl,
      text: `${headline[n.stage]}: ${subject}`,
      detail: {
        event: `escalation.${n.stage}`,
        escalation: {
          id: x.id,
          account: n.account,
          reason: x.reason,
          priority: x.priority,
          assignee: x.assignee,
          dueAt: x.dueAt.toISOString(),
        },
      },
      attempt: n.attempt,
    });
  }
  return email;
}
