import { mkdir, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import nodemailer, { type Transporter } from "nodemailer";
import MailComposer from "nodemailer/lib/mail-composer";
import type Mail from "nodemailer/lib/mailer";
import { parseConnectionUrl } from "nodemailer/lib/shared";
import type { CoreMetrics } from "../shared/metrics";

/**
 * Where email goes: an SMTP server (`SMTP_URL`, TLS and auth options in the URL as nodemailer reads
 * them) or, without one, the dev outbox (`.eml` files). A transient failure (connection, timeout,
 * 4xx) throws so the activity retries with backoff; a permanent refusal (5xx) comes back as the
 * server's reply, to be recorded and never retried.
 */

export type MailResult = { ok: true; messageId: string; file?: string } | { ok: false; reason: string };

/**
 * Well under the delivery activity's timeouts (workflows/journey-run.ts, decision 0043): with
 * nodemailer's defaults (2 min to connect, 10 min of socket silence) a hung attempt could still
 * hand the message over after Temporal had given up on it and started the retry. A slow greeting is
 * allowed (some servers pause on purpose); options in `SMTP_URL` win over these.
 */
export const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 15_000, socketTimeout: 30_000 };

/**
 * Pooled: a send reuses an open connection instead of a TCP connection, greeting and EHLO per
 * message. Sized by configuration (`SMTP_POOL_SIZE`, `SMTP_MAX_MESSAGES`): the connections are what
 * bounds emails/s against a server that answers each message in a round trip, so a deployment sizes
 * the pool to what its relay accepts. `?pool=false` or `?maxConnections=N` in `SMTP_URL` win over it.
 */
export type SmtpPool = { maxConnections: number; maxMessages: number };

export const SMTP_POOL: SmtpPool = { maxConnections: 5, maxMessages: 100 };

export function createSmtpTransport(url: string, pool: SmtpPool = SMTP_POOL): Transporter {
  return nodemailer.createTransport({
    ...SMTP_TIMEOUTS,
    pool: true,
    ...pool,
    ...parseConnectionUrl(url),
    getSocket: connectWithoutDelay,
  });
}

type SocketOptions = { host?: string; port?: number | string; secure?: boolean; connectionTimeout?: number };

/**
 * The TCP connection, opened with TCP_NODELAY, as nodemailer would otherwise open it without: the
 * message's closing "." is a small write behind the body, which Nagle's algorithm holds until the
 * server acknowledges the body, and servers delay that ACK by up to 40 ms. That wait, once per
 * message, held each pooled connection to about 22 messages/s. nodemailer upgrades the connection
 * to TLS itself where `secure` asks for it (smtps).
 */
function connectWithoutDelay(
  options: SocketOptions,
  callback: (err: Error | null, socket?: { connection: ReturnType<typeof connect> }) => void,
) {
  // nodemailer's own defaults (smtp-connection): port 465 when secure, else 587.
  const port = Number(options.port) || (options.secure ? 465 : 587);
  const socket = connect({ host: options.host || "localhost", port });
  socket.setNoDelay(true);
  const fail = (err: Error) => {
    socket.destroy();
    callback(err);
  };
  socket.setTimeout(options.connectionTimeout ?? SMTP_TIMEOUTS.connectionTimeout, () =>
    fail(Object.assign(new Error("Connection timeout"), { code: "ETIMEDOUT" })),
  );
  socket.once("error", fail);
  socket.once("connect", () => {
    socket.setTimeout(0);
    socket.off("error", fail);
    callback(null, { connection: socket });
  });
}

function fileSafe(text: string): string {
  return text.replace(/[^\w.-]+/g, "_");
}

export async function sendMail(
  target: { transport?: Transporter | undefined; outboxDir: string; metrics?: CoreMetrics | undefined },
  workspaceId: string,
  name: string,
  mail: Mail.Options & { messageId: string },
): Promise<MailResult> {
  if (!target.transport) {
    const message = await new MailComposer(mail).compile().build();
    const dir = join(target.outboxDir, workspaceId);
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${fileSafe(name)}.eml`);
    await writeFile(file, message);
    return { ok: true, messageId: mail.messageId, file };
  }
  const started = performance.now();
  const observe = (result: "sent" | "refused" | "error") => {
    target.metrics?.smtpSend.observe({ result }, (performance.now() - started) / 1000);
    if (result !== "sent") target.metrics?.smtpFailures.inc({ kind: result });
  };
  try {
    await target.transport.sendMail(mail);
    observe("sent");
    return { ok: true, messageId: mail.messageId };
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; message: string };
    if (e.responseCode !== undefined && e.responseCode >= 500 && e.responseCode < 600) {
      observe("refused");
      return { ok: false, reason: e.response ?? e.message };
    }
    observe("error");
    throw err;
  }
}
