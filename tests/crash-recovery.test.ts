import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { eventually, freePort, runVolante, smtpServer } from "./harness";

// A power cut, not a polite shutdown: the whole `npm start` process group (API, worker and the
// embedded Temporal server) is SIGKILLed while an email is on the wire to a real SMTP server.
const apiKey = `vk_crash_${randomBytes(12).toString("hex")}`;
let home: string;
const children: ChildProcess[] = [];

/** An SMTP server that leaves the first DATA unanswered (the send is in flight) and takes the rest. */
async function holdingSmtp() {
  const accepted: Buffer[] = [];
  const held: Buffer[] = [];
  const server = await smtpServer(({ raw }, answer) => {
    if (held.length === 0) {
      held.push(raw); // never answered: the sender dies waiting
      return;
    }
    accepted.push(raw);
    answer();
  });
  return { ...server, accepted, held };
}

let smtp: Awaited<ReturnType<typeof holdingSmtp>>;

async function startVolante() {
  const port = await freePort();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    VOLANTE_HOME: home,
    VOLANTE_API_KEY: apiKey,
    PORT: String(port),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    SMTP_URL: smtp.url,
    LOG_LEVEL: "warn",
  };
  delete env.TEMPORAL_ADDRESS;
  // On the PostgreSQL run the child uses the same server; otherwise PGlite files in VOLANTE_HOME.
  const databaseUrl = inject("databaseUrl");
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else delete env.DATABASE_URL;
  const { child, output, exited } = runVolante(["start"], env, { detached: true });
  children.push(child);
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`volante exited early:\n${output()}`);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    },
    "npm start to answer /healthz",
    90_000,
  );
  const request = async (method: string, path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const powerCut = async () => {
    process.kill(-(child.pid ?? 0), "SIGKILL");
    await exited;
  };
  return { request, powerCut, output };
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "volante-crash-"));
  smtp = await holdingSmtp();
});
afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  await smtp?.close();
  await rm(home, { recursive: true, force: true });
});

describe("a power cut mid-send", () => {
  it("delivers the email on the wire exactly once, with its Message-ID, and the journey goes on", async () => {
    const first = await startVolante();
    expect(
      (await first.request("PUT", "/v1/accounts/kaisha", { name: "Kaisha", tier: "tech_touch" })).status,
    ).toBe(201);
    await first.request("PUT", "/v1/accounts/kaisha/contacts/taro", {
      email: "taro@kaisha.example",
      role: "admin",
    });
    await first.request("PUT", "/v1/journeys/crash", {
      name: "Crash",
      trigger: { type: "manual" },
      steps: [
        { id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" },
        { id: "tips", type: "email", template: "onboarding-check-in", to: "role:admin" },
      ],
    });
    expect((await first.request("POST", "/v1/journeys/crash/publish")).status).toBe(201);
    const enrolled = await first.request("POST", "/v1/enrollments", { journey: "crash", account: "kaisha" });
    expect(enrolled.status).toBe(201);
    const { id } = (await enrolled.json()) as { id: string };

    await eventually(
      async () => (smtp.held.length === 1 ? true : undefined),
      "the welcome to be on the wire",
    );
    await first.powerCut();
    expect(smtp.accepted).toHaveLength(0);

    const second = await startVolante();
    const done = await eventually(
      async () => {
        const res = await second.request("GET", `/v1/enrollments/${id}/trace`);
        const body = (await res.json()) as { enrollment: { status: string } };
        return body.enrollment.status === "completed" ? body : undefined;
      },
      "the enrollment to complete after the restart",
      // The retry starts once the dead attempt misses its heartbeats (15 s) and takes its reservation
      // over (decision 0043); runs on the local-activity path wait out the lease (SEND_LEASE_SECONDS).
      200_000,
    );
    expect(done.enrollment.status).toBe("completed");

    const heldMail = await simpleParser(smtp.held[0] ?? Buffer.alloc(0));
    const delivered = await Promise.all(smtp.accepted.map((raw) => simpleParser(raw)));
    // Two touches, each delivered once; the welcome is the very message that was on the wire.
    expect(delivered).toHaveLength(2);
    expect(new Set(delivered.map((m) => m.messageId)).size).toBe(2);
    expect(delivered.map((m) => m.messageId)).toContain(heldMail.messageId);
    expect(delivered.map((m) => m.subject)).toContain(heldMail.subject);
  }, 360_000);
});
