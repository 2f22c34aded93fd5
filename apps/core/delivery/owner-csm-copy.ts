import { fileOf, headersOf, type Reached, type Touch } from "./carried-touch";
import { sendEmail } from "./channels/email";
import { csmMailFacts, decide } from "./decide";
import { messageContext } from "./message-context";
import type { Person } from "./recipients";
import { pickLocale, renderMessage } from "./render";
import { domainOf } from "./sender";

/** The owner CSM, copied on a touch: CSM mail, no tracking, no unsubscribe; and no widget to show it. */
export async function toOwnerCsm(
  t: Touch,
  person: Person,
  state: { paused: boolean; alreadySent: boolean },
): Promise<Reached> {
  const { req, copy, sender } = t;
  if (req.channel !== "email") return {};
  const decision = decide(csmMailFacts(person.email, req.at, state));
  if (decision.decision !== "send") return { decision };
  const version = copy.locales[pickLocale(Object.keys(copy.locales), null) ?? "en"];
  if (!version) return {};
  const message = await renderMessage(
    t.deps.renderer,
    version,
    messageContext(t.about, person, t.deps.publicUrl),
  );
  if (!message.ok) return { delivered: { to: person.email, status: "failed", reason: message.reason } };
  const { rendered } = message;
  const messageId = `<${t.row.id}.csm@${domainOf(sender.from)}>`;
  await t.writes.flush(t.deps.db);
  const result = await sendEmail(t.deps, {
    workspaceId: req.workspaceId,
    name: fileOf(req, "csm"),
    from: sender.from,
    to: person.email,
    subject: rendered.subject ?? req.template,
    html: rendered.html,
    text: rendered.text,
    messageId,
    at: req.at,
    headers: headersOf(req),
  });
  return result.ok
    ? {
        decision,
        delivered: {
          to: person.email,
          status: "sent",
          messageId,
          subject: rendered.subject ?? null,
          ...(result.file ? { file: result.file } : {}),
        },
      }
    : { delivered: { to: person.email, status: "failed", reason: result.reason } };
}
