import type { escalations } from "../../../db/schema/index";
import type { DeliveryDeps } from "../delivery/deliver-touch";
import { notifyCsm, notifyWebhook } from "../delivery/notifications";
import { RenderError } from "../delivery/render";
import type { TouchOutcome } from "../delivery/touch-record";
import { getSettings, type Settings } from "../workspace/settings";
import {
  briefReader,
  type EscalationBrief,
  type EscalationStage,
  emailContext,
  loadBrief,
  renderCsmEmail,
} from "./csm-email";

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
 * Returns the assignee email's outcome (the journey's trace records it). `settings` are the
 * workspace's when the caller holds them (a transition's run context), else they are read.
 */
export async function notifyEscalation(
  deps: DeliveryDeps,
  n: {
    escalation: typeof escalations.$inferSelect;
    account: string;
    stage: EscalationStage;
    journey?: string;
    at: string;
    attempt: number;
    settings?: Settings;
  },
): Promise<TouchOutcome> {
  const x = n.escalation;
  const settings = n.settings ?? (await getSettings(deps.db, x.workspaceId, deps.log));
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
  // Read when someone is to be emailed: with nobody to tell, the notification is only recorded.
  let brief: Promise<EscalationBrief> | undefined;
  /** The email to one person (the assignee, the manager), rendered for them; the plain text if it cannot be. */
  const emailTo = async (to: string | null, key: string) => {
    brief ??= to ? loadBrief(deps.db, x) : undefined;
    const message = to && brief ? await csmMessage(deps, settings, x, await brief, n.stage, to) : undefined;
    return notifyCsm(deps, {
      workspaceId: x.workspaceId,
      enrollmentId: x.enrollmentId,
      key,
      from: settings.email.from,
      to,
      subject: message?.subject ?? subject,
      text: message?.text ?? text,
      ...(message ? { html: message.html } : {}),
      at: n.at,
    });
  };
  const email = await emailTo(x.assignee, base);
  if (n.stage === "assigned") return email;
  const { managerEmail, webhookUrl } = settings.notifications;
  if (n.stage === "breach" && managerEmail) await emailTo(managerEmail, `${base}:manager`);
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

/** The rendered email for one reader; undefined (and logged) when the template cannot render it. */
async function csmMessage(
  deps: DeliveryDeps,
  settings: Settings,
  x: typeof escalations.$inferSelect,
  brief: EscalationBrief,
  stage: EscalationStage,
  to: string,
) {
  const reader = await briefReader(deps.db, x, brief, to, settings);
  const context = emailContext(x, brief, {
    stage,
    reader,
    viaFallback: to === settings.escalations.fallbackOwner && to === x.assignee,
    publicUrl: deps.publicUrl,
  });
  try {
    return await renderCsmEmail(deps, reader.locale, context);
  } catch (err) {
    if (!(err instanceof RenderError)) throw err;
    deps.log?.error("the CSM's escalation email cannot be rendered; sending it as plain text", {
      escalationId: x.id,
      error: err.message,
    });
    return undefined;
  }
}
