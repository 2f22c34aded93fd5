import { accountFacts } from "../accounts/facts";
import type { Services } from "../shared/services";
import { findTemplate } from "../templates/message-templates";
import { linksFor } from "./links";
import { messageContext } from "./message-context";
import { ownerCsmOf, recipients } from "./recipients";
import { pickLocale, renderMessage } from "./render";
import { loadRunContext } from "./run-context";

export type RenderedAgain = { subject: string | null; to: string; html: string; text: string };

/**
 * A sent touch whose content was not stored (SMTP): its template rendered again now, for the same
 * account and (first) recipient, with today's data, through the send's own path (render.ts,
 * message-context.ts); no tracking. Null when the enrollment, template or person is gone.
 */
export async function renderTouchAgain(
  deps: Pick<Services, "db" | "fileTemplates" | "renderer" | "publicUrl" | "clock">,
  workspaceId: string,
  enrollmentId: string,
  touch: { id: string; channel: string; template: string; recipient: string; sentTo: string[] },
): Promise<RenderedAgain | null> {
  const { db } = deps;
  const context = await loadRunContext(db, workspaceId, enrollmentId);
  if (!context) return null;
  const copy = await findTemplate(db, deps.fileTemplates, workspaceId, touch.template);
  if (!copy) return null;
  const people = await recipients(db, context.account, touch.recipient);
  const person = people.find((p) => touch.sentTo.includes(p.email)) ?? people[0];
  if (!person) return null;
  const locale = pickLocale(Object.keys(copy.locales), person.locale);
  const version = locale ? copy.locales[locale] : undefined;
  if (!version) return null;
  const at = deps.clock.now().toISOString();
  const page = person.id
    ? linksFor(deps.publicUrl, context.secret, {
        workspaceId,
        touchId: touch.id,
        contactId: person.id,
        category: copy.category,
      }).page
    : deps.publicUrl;
  const about = {
    account: context.account,
    workspace: context.workspace,
    journeyName: context.journeyName,
    csm: await ownerCsmOf(db, context.account),
    facts: await accountFacts(db, context.account, at),
    at,
  };
  const message = await renderMessage(deps.renderer, version, messageContext(about, person, page), {
    layout: touch.channel === "email",
  });
  if (!message.ok) return null;
  return {
    subject: message.rendered.subject ?? null,
    to: person.email,
    html: message.rendered.html,
    text: message.rendered.text,
  };
}
