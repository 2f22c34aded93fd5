import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterEach, describe, expect, it } from "vitest";
import { createSmtpTransport, sendMail } from "../apps/core/delivery/mailer";
import { freePort } from "./harness";

/** A real SMTP server that counts the connections messages arrive on and the messages in DATA at once. */
async function countingServer() {
  const seen = { connections: new Set<string>(), inFlight: 0, mostInFlight: 0, received: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      seen.connections.add(session.id);
      seen.inFlight++;
      seen.mostInFlight = Math.max(seen.mostInFlight, seen.inFlight);
      stream.resume();
      stream.on("end", () => {
        // Answered on the next turn, so the other connections' messages can arrive meanwhile.
        setImmediate(() => {
          seen.inFlight--;
          seen.received++;
          callback();
        });
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { url: `smtp://127.0.0.1:${port}?ignoreTLS=true`, seen, close };
}

const mail = (i: number) => ({
  from: "cs@acme.example",
  to: `c${i}@x.example`,
  subject: "Hello",
  text: "Hello",
  messageId: `<${i}@pool.test>`,
});

let stop: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const s of stop) await s();
  stop = [];
});

describe("the SMTP pool", () => {
  it("delivers over as many connections as SMTP_POOL_SIZE asks, never more", async () => {
    const server = await countingServer();
    const transport = createSmtpTransport(server.url, { maxConnections: 3, maxMessages: 100 });
    stop.push(async () => transport.close(), server.close);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => sendMail({ transport, outboxDir: "" }, "w", `m${i}`, mail(i))),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(server.seen.received).toBe(30);
    expect(server.seen.connections.size).toBe(3);
    expect(server.seen.mostInFlight).toBeLessThanOrEqual(3);
  });

  it("renews a connection after SMTP_MAX_MESSAGES messages", async () => {
    const server = await countingServer();
    const transport = createSmtpTransport(server.url, { maxConnections: 1, maxMessages: 2 });
    stop.push(async () => transport.close(), server.close);
    for (let i = 0; i < 6; i++) await sendMail({ transport, outboxDir: "" }, "w", `m${i}`, mail(i));
    expect(server.seen.received).toBe(6);
    expect(server.seen.connections.size).toBe(3);
  });

  it("throws (to be retried) when nothing listens, rather than reporting a refusal", async () => {
    const transport = createSmtpTransport(`smtp://127.0.0.1:${await freePort()}?ignoreTLS=true`);
    stop.push(async () => transport.close());
    await expect(sendMail({ transport, outboxDir: "" }, "w", "m", mail(0))).rejects.toThrow(/ECONNREFUSED/);
  });
});
