import { randomUUID } from "node:crypto";
import { sendMail } from "../delivery/mailer";
import { domainOf } from "../delivery/sender";
import type { Services } from "../shared/services";
import { getSettings } from "../workspace/settings";
import { previewTemplate } from "./template-preview";

export type TestSendResult =
  | { ok: true; to: string; via: "smtp" | "outbox" }
  | { ok: false; refusal: "not_found" }
  /** An in-app template: it has no email to send. */
  | { ok: false; refusal: "not_email" }
  | { ok: false; refusal: "invalid"; reason: string };

/**
 * Sends one locale of a saved email template, rendered on the sample data, to a person of the
 * workspace (the one asking): through SMTP when the workspace has it, else into the dev outbox,
 * from the workspace's own sender. Not a touch: no contact, no journey, nothing counted.
 */
export async function sendTemplateTest(
  deps: Pick<Services, "db" | "fileTemplates" | "renderer" | "transport" | "outboxDir" | "metrics" | "clock">,
  workspaceId: string,
  key: string,
  locale: string,
  to: { name: string; email: string },
): Promise<TestSendResult> {
  const rendered = await previewTemplate(deps.db, deps.fileTemplates, deps.renderer, workspaceId, key, {
    locale,
    data: {},
  });
  if (!rendered.ok)
    return rendered.refusal === "not_found"
      ? rendered
      : { ok: false, refusal: "invalid", reason: rendered.message };
  const { preview } = rendered;
  if (preview.channel !== "email") return { ok: false, refusal: "not_email" };
  const settings = await getSettings(deps.db, workspaceId);
  const from = settings.email.from;
  const id = randomUUID();
  const result = await sendMail(deps, workspaceId, `template-test-${key}-${id}`, {
    from,
    to: to.name ? { name: to.name, address: to.email } : to.email,
    subject: `[Test] ${preview.subject ?? key}`,
    html: preview.html,
    text: preview.text,
    messageId: `<template-test-${id}@${domainOf(from)}>`,
    date: deps.clock.now(),
  });
  if (!result.ok) return { ok: false, refusal: "invalid", reason: result.reason };
  return { ok: true, to: to.email, via: deps.transport ? "smtp" : "outbox" };
}
