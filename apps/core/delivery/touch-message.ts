import { readFile } from "node:fs/promises";
import { and, eq } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { inAppMessages, touches } from "../../../db/schema/index";
import type { Services } from "../shared/services";
import { isUuid } from "../shared/uuid";
import { type RenderedAgain, renderTouchAgain } from "./touch-rerender";

type Deps = Pick<Services, "db" | "fileTemplates" | "renderer" | "publicUrl" | "clock">;

/** One touch of one enrollment, as the trace's "View the message" page shows it. */
export type TouchView = {
  id: string;
  touchKey: string;
  stepId: string;
  channel: string;
  template: string;
  status: string;
  reason: string | null;
  recipients: string[];
  messageIds: string[];
  subject: string | null;
  createdAt: string;
  message: TouchMessage;
};

/**
 * What was sent: the dev outbox's .eml as it left (subject, sender, recipients, HTML); the in-app
 * messages stored for the contacts; a sent email whose content was not stored (SMTP) rendered again
 * now (touch-rerender.ts); or nothing, when there is no message to show.
 */
export type TouchMessage =
  | {
      kind: "email";
      subject: string | null;
      from: string;
      to: string;
      messageId: string | null;
      html: string | null;
      text: string | null;
    }
  | { kind: "in_app"; messages: { title: string | null; body: string }[] }
  | ({ kind: "rendered_again" } & RenderedAgain)
  | { kind: "not_stored" };

/** A touch by its key (or id) within one enrollment of one workspace; null when there is none. */
export async function findEnrollmentTouch(
  deps: Deps,
  workspaceId: string,
  enrollmentId: string,
  keyOrId: string,
): Promise<TouchView | null> {
  if (!isUuid(enrollmentId)) return null;
  const { db } = deps;
  const scope = and(eq(touches.workspaceId, workspaceId), eq(touches.enrollmentId, enrollmentId));
  let [row] = await db
    .select()
    .from(touches)
    .where(and(scope, eq(touches.touchKey, keyOrId)));
  if (!row && isUuid(keyOrId))
    [row] = await db
      .select()
      .from(touches)
      .where(and(scope, eq(touches.id, keyOrId)));
  if (!row) return null;
  const delivery = row.delivery as {
    recipients?: string[];
    messageIds?: string[];
    files?: string[];
    subject?: string | null;
  };
  return {
    id: row.id,
    touchKey: row.touchKey,
    stepId: row.stepId,
    channel: row.channel,
    template: row.template,
    status: row.status,
    reason: row.reason,
    recipients: delivery.recipients ?? [],
    messageIds: delivery.messageIds ?? [],
    subject: delivery.subject ?? null,
    createdAt: row.createdAt.toISOString(),
    message: await messageOf(deps, workspaceId, row, delivery.files ?? [], delivery.recipients ?? []),
  };
}

async function messageOf(
  deps: Deps,
  workspaceId: string,
  row: typeof touches.$inferSelect,
  files: string[],
  sentTo: string[],
): Promise<TouchMessage> {
  const { db } = deps;
  const touchId = row.id;
  if (row.channel === "in_app") {
    const rows = await db
      .select({ title: inAppMessages.title, body: inAppMessages.body })
      .from(inAppMessages)
      .where(and(eq(inAppMessages.workspaceId, workspaceId), eq(inAppMessages.touchId, touchId)));
    return rows.length > 0 ? { kind: "in_app", messages: rows } : { kind: "not_stored" };
  }
  const file = files[0];
  const raw = file ? await readFile(file).catch(() => null) : null;
  if (!raw) {
    if (row.channel !== "email" || row.status !== "sent") return { kind: "not_stored" };
    const again = await renderTouchAgain(deps, workspaceId, row.enrollmentId, { ...row, sentTo });
    return again ? { kind: "rendered_again", ...again } : { kind: "not_stored" };
  }
  const mail = await simpleParser(raw);
  const to = Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(", ") : (mail.to?.text ?? "");
  return {
    kind: "email",
    subject: mail.subject ?? null,
    from: mail.from?.text ?? "",
    to,
    messageId: mail.messageId ?? null,
    html: typeof mail.html === "string" ? withoutOpenPixel(mail.html) : null,
    text: mail.text ?? null,
  };
}

/**
 * The sent HTML without its open-tracking pixel (links.ts adds it last): a person reading the message
 * in the console must not count as the contact opening it.
 */
function withoutOpenPixel(html: string): string {
  return html.replace(/<img src="[^"]*\/t\/o\/[^"]*" width="1" height="1" alt="" style="display:none">/g, "");
}
