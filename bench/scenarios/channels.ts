import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { createSmtpTransport, sendMail } from "../../apps/core/delivery/mailer";
import { loadRenderer } from "../../apps/core/delivery/render";
import { loadFileTemplates } from "../../apps/core/templates/files";
import { loadEnv } from "../../apps/env";
import { type Ctx, CUSTOMER_IO_PER_SECOND, type Figure, pool, round, seconds } from "./shared";

/** Channels: templates rendered/s, and emails delivered/s to a local SMTP server. */
export async function channels({ stack, mode, log }: Ctx): Promise<Figure[]> {
  const n = mode === "quick" ? 500 : 1500;
  const [welcome] = (await loadFileTemplates()).filter((t) => t.key === "onboarding-welcome");
  const version = welcome?.locales.ja;
  const renderer = await loadRenderer();
  if (!version) throw new Error("no onboarding-welcome template");
  log(`channels: rendering ${n * 4} emails, sending ${n} to a local SMTP server`);
  // Through the render sandbox's threads, as a send renders: a few in flight keep both threads busy.
  await renderer.render(version, { contact: { locale: "ja" } }, { layout: true });
  let started = performance.now();
  await pool(
    Array.from({ length: n * 4 }, (_, i) => i),
    4,
    async (i) => {
      await renderer.render(
        version,
        {
          account: { name: `Account ${i}` },
          contact: { name: `Taro ${i}`, locale: "ja", timezone: "Asia/Tokyo", email: `t${i}@x.example` },
          workspace: { name: "Acme" },
          links: { app: "https://app.example", preferences: "https://x.example/u/t" },
        },
        { layout: true },
      );
    },
  );
  const renders = (n * 4) / seconds(performance.now() - started);

  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, cb) {
      stream.on("data", () => {});
      stream.on("end", () => {
        received++;
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.server.address() as AddressInfo).port;
  // The transport production builds from SMTP_URL and its pool settings, and the same send function
  // the delivery uses; twice as many sends in flight as connections, as activities queue on a pool.
  const env = loadEnv();
  const transport = createSmtpTransport(`smtp://127.0.0.1:${port}?ignoreTLS=true`, {
    maxConnections: env.SMTP_POOL_SIZE,
    maxMessages: env.SMTP_MAX_MESSAGES,
  });
  const inFlight = 2 * env.SMTP_POOL_SIZE;
  const rendered = await renderer.render(
    version,
    { account: { name: "Acme" }, contact: { locale: "ja" }, workspace: { name: "Acme" }, links: {} },
    { layout: true },
  );
  started = performance.now();
  await pool(
    Array.from({ length: n }, (_, i) => i),
    inFlight,
    async (i) => {
      const out = await sendMail({ transport, outboxDir: "" }, stack.workspaceId, `bench-${i}`, {
        from: "cs@acme.example",
        to: `c${i}@x.example`,
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        messageId: `<${i}@bench>`,
      });
      if (!out.ok) throw new Error(out.reason);
    },
  );
  const sent = n / seconds(performance.now() - started);
  transport.close();
  await renderer.close();
  await new Promise<void>((r) => server.close(() => r()));
  if (received !== n) throw new Error(`the SMTP server received ${received} of ${n}`);
  return [
    {
      scenario: "channels",
      name: "templates rendered/s (ja, with layout)",
      value: round(renders, 0),
      unit: "/s",
      limit: CUSTOMER_IO_PER_SECOND,
      ratio: round(renders / CUSTOMER_IO_PER_SECOND, 2),
      note: "limit = Customer.io's stated million emails an hour, one render each",
    },
    {
      scenario: "channels",
      name: "emails delivered/s to a local SMTP server",
      value: round(sent, 0),
      unit: "/s",
      limit: CUSTOMER_IO_PER_SECOND,
      ratio: round(sent / CUSTOMER_IO_PER_SECOND, 2),
      note: `limit = Customer.io's million an hour; the production transport, SMTP_POOL_SIZE ${env.SMTP_POOL_SIZE}, ${inFlight} sends at a time`,
    },
  ];
}
