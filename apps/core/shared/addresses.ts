import addressparser from "nodemailer/lib/addressparser";
import { z } from "zod";

/**
 * Addresses Volante writes into mail headers (From, Reply-To, To), checked with nodemailer's own
 * parser, the one that builds the headers: what passes here is exactly one mailbox to it too.
 */

/** A mailbox as nodemailer takes it: a header is then built from its parts, never re-parsed. */
export type MailboxAddress = { name: string; address: string };

/** RFC 5321's limit on an address. */
const MAX_ADDRESS = 254;
/** An address with a display name: room for a long company name, nothing like a body. */
const MAX_MAILBOX = 320;

// zod's addr-spec check: a dotted domain, no quoted local part, no space or control character.
const addrSpec = z.email();

/**
 * Why `text` is not exactly one mailbox, or undefined when it is: a bare address, or, when
 * `displayName` allows it, `Name <address>`. Control characters (a CR/LF would start a new header
 * in a naive writer, and makes nodemailer read a group) and everything around or after the address
 * (`a@b.c, d@e.f`, `a <b@c.d> more`, comments) are refused rather than guessed at.
 */
export function mailboxProblem(text: string, options: { displayName: boolean }): string | undefined {
  if (/\p{Cc}/u.test(text)) return "must not contain control characters (CR, LF, …)";
  const parsed = addressparser(text);
  const [only] = parsed;
  if (parsed.length !== 1 || !only || "group" in only) return "must be exactly one email address";
  if (!addrSpec.safeParse(only.address).success || only.address.length > MAX_ADDRESS)
    return "must be an email address such as cs@acme.example";
  const trimmed = text.trim();
  if (trimmed === only.address) return undefined;
  if (!options.displayName) return "must be a bare email address, without a display name";
  if (!trimmed.endsWith(`<${only.address}>`)) return "must be `Name <address>` or a bare address";
  return undefined;
}

/** The parts of a mailbox that `mailboxProblem` accepted; undefined for anything else. */
export function mailboxOf(text: string): MailboxAddress | undefined {
  if (mailboxProblem(text, { displayName: true })) return undefined;
  const [only] = addressparser(text, { flatten: true });
  return only && { name: only.name, address: only.address };
}

/** A bare email address (a contact's, a CSM's): one mailbox, no display name. */
export const EmailAddress = z
  .email()
  .max(MAX_ADDRESS)
  .superRefine((text, ctx) => {
    const problem = mailboxProblem(text, { displayName: false });
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** An address for a header that allows a display name: `Acme CS <cs@acme.example>` or `cs@acme.example`. */
export const Mailbox = z
  .string()
  .max(MAX_MAILBOX)
  .superRefine((text, ctx) => {
    const problem = mailboxProblem(text, { displayName: true });
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .meta({ example: "Acme CS <cs@acme.example>" });
