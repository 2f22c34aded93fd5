import type { Transporter } from "nodemailer";
import { type MailboxAddress, mailboxOf, mailboxProblem } from "../../shared/addresses";
import type { CoreMetrics } from "../../shared/metrics";
import { type Links, tracked } from "../links";
import { type MailResult, sendMail } from "../mailer";
import type { Rendered } from "../render";
import type { Sender } from "../sender";

/**
 * How one email leaves: to SMTP or the dev outbox (mailer.ts), with a Message-ID derived from the
 * touch so a resend is folded by the receiver. A contact's email gets its links through the signed
 * click redirect, an open pixel and, unless transactional, RFC 8058 one-click unsubscribe headers.
 */

export type MailTarget = {
  transport?: Transporter | undefined;
  outboxDir: string;
  metrics?: CoreMetrics | undefined;
};

export type Email = {
  workspaceId: string;
  /** The outbox file name: deterministic, so a retry rewrites the same file. */
  name: string;
  from: Sender["from"];
  replyTo?: string | null;
  to: string | { name: string; address: string };
  subject: string;
  html?: string;
  text: string;
  messageId: string;
  at: string;
  headers: Record<string, string>;
};

/**
 * Every address goes to nodemailer as `{ name, address }`, parsed here by the rule settings are saved
 * with: a stored value can then never add a recipient or a header. One that is not a mailbox fails
 * the send for good (a retry would not change it).
 */
export async function sendEmail(target: MailTarget, email: Email): Promise<MailResult> {
  const from = asMailbox(email.from);
  const to = asMailbox(email.to);
  const replyTo = email.replyTo ? asMailbox(email.replyTo) : undefined;
  if (!from || !to || (email.replyTo && !replyTo))
    return { ok: false, reason: "an address of the message is not a single mailbox" };
  return sendMail(target, email.workspaceId, email.name, {
    from,
    ...(replyTo ? { replyTo } : {}),
    to,
    subject: email.subject,
    ...(email.html !== undefined ? { html: email.html } : {}),
    text: email.text,
    messageId: email.messageId,
    date: new Date(email.at),
    headers: email.headers,
  });
}

function asMailbox(mailbox: string | MailboxAddress): MailboxAddress | undefined {
  if (typeof mailbox === "string") return mailboxOf(mailbox);
  if (mailboxProblem(mailbox.address, { displayName: false })) return undefined;
  // A name (a contact's, a CSM's) is free text: a line break in it is a space in the header.
  return { name: mailbox.name.replace(/\p{Cc}+/gu, " "), address: mailbox.address };
}

/** A rendered email to a contact: tracked links and pixel, and the unsubscribe headers when it may carry them. */
export function trackedEmail(
  rendered: Rendered,
  links: Links,
  unsubscribable: boolean,
): { html: string; headers: Record<string, string> } {
  return {
    html: tracked(rendered.html, links),
    headers: unsubscribable
      ? {
          // RFC 8058: mail providers unsubscribe with one POST, no page, no login.
          "List-Unsubscribe": `<${links.unsubscribe}>`,
          "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
      : {},
  };
}
