import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { eq } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Enrollment } from "../apps/core/enrollments/schemas";
import { touches } from "../db/schema";
import {
  eventually,
  type SmtpSink,
  smtpSink,
  startTestStack,
  type TestStack,
  type TestWorkspace,
} from "./harness";

// Issue 15, item 2: a CRM sync writes the account, then its contacts. The day-0 welcome that the
// account's stage starts waits for its admin instead of recording `no recipient` at once.

let smtp: SmtpSink;
let stack: TestStack;
let ws: TestWorkspace;

type TraceEntry = { kind: string; stepId: string | null; at: string; detail: Record<string, unknown> };
type Trace = { enrollment: Enrollment; trace: TraceEntry[] };

/** An onboarding-like journey: the welcome to the admin on entering onboarding, for one tier. */
async function publishWelcome(key: string, tier: string, waitForRecipients: string) {
  const draft = await ws.request("PUT", `/v1/journeys/${key}`, {
    name: `Welcome (${tier})`,
    trigger: { type: "stage_entered", stage: "onboarding" },
    audience: { tiers: [tier] },
    steps: [
      { id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin", waitForRecipients },
    ],
  });
  expect(draft.status, await draft.clone().text()).toBe(201);
  const published = await ws.request("POST", `/v1/journeys/${key}/publish`);
  expect(published.status, await published.clone().text()).toBe(201);
}

async function putAccount(externalId: string, body: Record<string, unknown>) {
  const res = await ws.request("PUT", `/v1/accounts/${externalId}`, {
    name: `${externalId} KK`,
    lifecycleStage: "onboarding",
    ...body,
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

async function enrollmentOf(journey: string, account: string): Promise<Enrollment> {
  return eventually(async () => {
    const res = await ws.request("GET", `/v1/enrollments?journey=${journey}&account=${account}`);
    return ((await res.json()) as { data: Enrollment[] }).data[0];
  }, `${account}'s enrollment in ${journey}`);
}

async function traceOf(id: string): Promise<Trace> {
  return (await (await ws.request("GET", `/v1/enrollments/${id}/trace`)).json()) as Trace;
}

async function traceWhen(id: string, what: string, done: (t: Trace) => boolean): Promise<Trace> {
  return eventually(async () => {
    const t = await traceOf(id);
    return done(t) ? t : undefined;
  }, what);
}

/**
 * Keeps the run's history (with its contactsChanged signal) for tests/workflow-replay.test.ts: recorded
 * once when missing, then committed, so a later workflow change must still replay the wake-up.
 */
async function recordHistory(name: string, workflowId: string) {
  const dir = new URL("./histories/", import.meta.url).pathname;
  const file = join(dir, `${name}.json`);
  if (await stat(file).catch(() => null)) return;
  await mkdir(dir, { recursive: true });
  await writeFile(file, JSON.stringify(await stack.client.workflow.getHandle(workflowId).fetchHistory()));
}

const kinds = (t: Trace) => t.trace.filter((e) => e.stepId === "welcome").map((e) => e.kind);
const mailTo = (address: string) => smtp.mail.filter((m) => m.to.includes(address));

beforeAll(async () => {
  smtp = await smtpSink();
  stack = await startTestStack({ smtpUrl: smtp.url });
  ws = await stack.newWorkspace("Acme Cloud");
  // A long bound where the contact comes (only the wake-up can send in time), a short one where it never does.
  await publishWelcome("welcome-tech", "tech_touch", "PT1H");
  await publishWelcome("welcome-low", "low_touch", "PT5S");
});
afterAll(async () => {
  await stack?.close();
  await smtp?.close();
});

describe("a touch whose contacts come after the account", () => {
  it("waits for the admin saved two seconds after the account and sends the welcome within seconds", async () => {
    const created = Date.now();
    await putAccount("synced", { tier: "tech_touch" });
    const enrollment = await enrollmentOf("welcome-tech", "synced");
    const waiting = await traceWhen(enrollment.id, "the welcome to wait for its admin", (t) =>
      kinds(t).includes("waiting_for_recipients"),
    );
    const entry = waiting.trace.find((e) => e.kind === "waiting_for_recipients");
    expect(entry?.detail).toMatchObject({ to: "role:admin", touchKey: "welcome:1" });
    // Until the step's bound (PT1H) from when the touch was due.
    const until = Date.parse(String(entry?.detail.until));
    expect(until - Date.parse(entry?.at ?? "")).toBe(3_600_000);
    expect(waiting.enrollment.status).toBe("active");
    expect(mailTo("admin@synced.example")).toEqual([]);

    await delay(Math.max(0, created + 2_000 - Date.now()));
    const saved = Date.now();
    const contact = await ws.request("PUT", "/v1/accounts/synced/contacts/admin-1", {
      email: "admin@synced.example",
      name: "Sato Hanako",
      role: "admin",
    });
    expect(contact.status).toBe(201);

    const [received] = await eventually(async () => {
      const mail = mailTo("admin@synced.example");
      return mail.length > 0 ? mail : undefined;
    }, "the welcome at the SMTP server");
    expect(Date.now() - saved).toBeLessThan(10_000);
    const parsed = await simpleParser(received?.raw ?? Buffer.from(""));
    expect(parsed.subject).toBe("Welcome to Acme Cloud: your first three steps");

    const done = await traceWhen(
      enrollment.id,
      "the run to complete",
      (t) => t.enrollment.status === "completed",
    );
    expect(kinds(done)).toEqual(["touch", "waiting_for_recipients", "sent"]);
    expect(done.trace.find((e) => e.kind === "sent")?.detail).toMatchObject({
      recipients: ["admin@synced.example"],
    });
    await recordHistory("contacts-changed", enrollment.workflowId);
  });

  it("records no recipient after the step's bound when no admin ever comes, and a user does not end the wait", async () => {
    await putAccount("lonely", { tier: "low_touch" });
    const enrollment = await enrollmentOf("welcome-low", "lonely");
    await traceWhen(enrollment.id, "the welcome to wait for its admin", (t) =>
      kinds(t).includes("waiting_for_recipients"),
    );
    // Wakes the run, which finds no admin yet and goes on waiting until the same bound.
    const user = await ws.request("PUT", "/v1/accounts/lonely/contacts/user-1", {
      email: "user@lonely.example",
      role: "user",
    });
    expect(user.status).toBe(201);

    const done = await traceWhen(
      enrollment.id,
      "the run to give up after PT5S",
      (t) => t.enrollment.status === "completed",
    );
    expect(kinds(done)).toEqual(["touch", "waiting_for_recipients", "not_sent"]);
    const until = String(done.trace.find((e) => e.kind === "waiting_for_recipients")?.detail.until);
    const notSent = done.trace.find((e) => e.kind === "not_sent");
    expect(notSent?.detail).toMatchObject({ status: "skipped", reason: "no recipient for role:admin" });
    expect(Date.parse(notSent?.at ?? "")).toBeGreaterThanOrEqual(Date.parse(until));
    const [touch] = await stack.database.db
      .select()
      .from(touches)
      .where(eq(touches.enrollmentId, enrollment.id));
    expect(touch).toMatchObject({ status: "skipped", reason: "no recipient for role:admin" });
    expect(mailTo("user@lonely.example")).toEqual([]);
  });
});

describe("PUT /v1/accounts/{externalId} with contacts", () => {
  it("creates the contacts with the account, so the welcome finds its admin without waiting", async () => {
    await putAccount("bundled", {
      tier: "tech_touch",
      contacts: [
        { externalId: "admin-1", email: "admin@bundled.example", role: "admin", locale: "ja" },
        { externalId: "user-1", email: "user@bundled.example" },
      ],
    });
    const list = (await (await ws.request("GET", "/v1/accounts/bundled/contacts")).json()) as {
      data: { externalId: string; role: string; locale: string }[];
    };
    expect(list.data).toEqual([
      expect.objectContaining({ externalId: "admin-1", role: "admin", locale: "ja" }),
      expect.objectContaining({ externalId: "user-1", role: "user", locale: "en" }),
    ]);

    const enrollment = await enrollmentOf("welcome-tech", "bundled");
    const done = await traceWhen(
      enrollment.id,
      "the run to complete",
      (t) => t.enrollment.status === "completed",
    );
    expect(kinds(done)).toEqual(["touch", "sent"]);
    expect(mailTo("admin@bundled.example")).toHaveLength(1);
    expect(mailTo("user@bundled.example")).toEqual([]);
  });

  it("replaces listed contacts on a second PUT and keeps the ones not listed", async () => {
    await putAccount("resynced", {
      contacts: [
        { externalId: "a", email: "a@resynced.example", role: "admin" },
        { externalId: "b", email: "b@resynced.example" },
      ],
    });
    const again = await ws.request("PUT", "/v1/accounts/resynced", {
      name: "resynced KK",
      lifecycleStage: "onboarding",
      contacts: [{ externalId: "a", email: "a2@resynced.example", role: "champion", name: "A" }],
    });
    expect(again.status).toBe(200);
    const list = (await (await ws.request("GET", "/v1/accounts/resynced/contacts")).json()) as {
      data: { externalId: string; email: string; role: string; name: string | null }[];
    };
    expect(list.data.map(({ externalId, email, role, name }) => ({ externalId, email, role, name }))).toEqual(
      [
        { externalId: "a", email: "a2@resynced.example", role: "champion", name: "A" },
        { externalId: "b", email: "b@resynced.example", role: "user", name: null },
      ],
    );
  });

  it("refuses bad contacts with a pointer to the field, and saves neither the account nor any contact", async () => {
    const cases: [unknown[], string][] = [
      [
        [
          { externalId: "x", email: "x@refused.example" },
          { externalId: "x", email: "y@refused.example" },
        ],
        "/contacts/1/externalId",
      ],
      [[{ externalId: "x", email: "not an address" }], "/contacts/0/email"],
      [[{ externalId: "x", email: "x@refused.example", role: "boss" }], "/contacts/0/role"],
      [[{ email: "x@refused.example" }], "/contacts/0/externalId"],
      [
        Array.from({ length: 101 }, (_, i) => ({ externalId: `c${i}`, email: `c${i}@refused.example` })),
        "/contacts",
      ],
    ];
    for (const [contacts, pointer] of cases) {
      const res = await ws.request("PUT", "/v1/accounts/refused", { name: "Refused KK", contacts });
      expect(res.status, pointer).toBe(422);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const body = (await res.json()) as { errors?: { pointer: string }[] };
      // A bad address may be named twice at its pointer (zod's format and the mailbox parser).
      expect([...new Set(body.errors?.map((e) => e.pointer))]).toEqual([pointer]);
    }
    expect((await ws.request("GET", "/v1/accounts/refused")).status).toBe(404);
  });
});
