import { eq, sql } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Enrollment } from "../../apps/core/enrollments/schemas";
import { workspaces } from "../../db/schema";
import {
  eventually,
  type ReceivedMail,
  type SmtpSink,
  smtpSink,
  startTestStack,
  type TestStack,
  type TestWorkspace,
} from "../harness";

let smtp: SmtpSink;
let stack: TestStack;

beforeAll(async () => {
  smtp = await smtpSink();
  stack = await startTestStack({ smtpUrl: smtp.url, outboundAllow: [] });
});
afterAll(async () => {
  await stack?.close();
  await smtp?.close();
});

type Problem = { status: number; errors?: { pointer: string; message: string }[] };

async function refusedAt(res: Response, pointer: string): Promise<void> {
  expect(res.status).toBe(422);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const body = (await res.json()) as Problem;
  expect(body.errors?.map((e) => e.pointer)).toContain(pointer);
}

const notOneMailbox = [
  "not-an-address",
  "a@b.c\r\nBcc: x@y.z",
  "a@b.c\nBcc: x@y.z",
  "Acme <cs@acme.example>\r\nBcc: x@y.z",
  "a@b.c\u0000",
  "a@b.c, d@e.f",
  "Group: a@b.c;",
  "a@@b.c",
  "a@b",
  "x <a@b.c> y",
  "",
];

let journeys = 0;
/** Publishes a one-email journey for the account's admin and returns the mail it sent. */
async function sendWelcome(ws: TestWorkspace, account: string, admin: string): Promise<ReceivedMail> {
  await ws.request("PUT", `/v1/accounts/${account}`, { name: `${account} KK`, tier: "tech_touch" });
  await ws.request("PUT", `/v1/accounts/${account}/contacts/admin`, { email: admin, role: "admin" });
  const key = `mail-${journeys++}`;
  await ws.request("PUT", `/v1/journeys/${key}`, {
    name: key,
    trigger: { type: "manual" },
    steps: [{ id: "mail", type: "email", template: "onboarding-welcome", to: "role:admin" }],
  });
  expect((await ws.request("POST", `/v1/journeys/${key}/publish`)).status).toBe(201);
  const res = await ws.request("POST", "/v1/enrollments", { journey: key, account });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as Enrollment;
  await eventually(async () => {
    const t = (await (await ws.request("GET", `/v1/enrollments/${id}`)).json()) as Enrollment;
    return t.status === "completed" ? true : undefined;
  }, `enrollment ${id} to complete`);
  return eventually(async () => smtp.mail.find((m) => m.to.includes(admin)), `mail to ${admin}`);
}

describe("header addresses in settings (issue 14, item 6)", () => {
  for (const [field, pointer] of [
    ["from", "/email/from"],
    ["replyTo", "/email/replyTo"],
  ] as const) {
    it.each(notOneMailbox)(`refuses email.${field} %j with 422 at ${pointer}`, async (value) => {
      const ws = await stack.newWorkspace();
      await refusedAt(await ws.request("PUT", "/v1/settings", { email: { [field]: value } }), pointer);
    });
  }

  it.each(notOneMailbox)("refuses notifications.managerEmail %j with 422 at its pointer", async (value) => {
    const ws = await stack.newWorkspace();
    await refusedAt(
      await ws.request("PUT", "/v1/settings", { notifications: { managerEmail: value } }),
      "/notifications/managerEmail",
    );
  });

  it("keeps a refused sender out of the stored settings", async () => {
    const ws = await stack.newWorkspace();
    await ws.request("PUT", "/v1/settings", { email: { from: "a@b.c\r\nBcc: x@y.z" } });
    const settings = (await (await ws.request("GET", "/v1/settings")).json()) as { email: { from: string } };
    expect(settings.email.from).toBe("Volante <noreply@volante.local>");
  });

  it("sends with a display-name From and Reply-To exactly as saved", async () => {
    const ws = await stack.newWorkspace();
    const put = await ws.request("PUT", "/v1/settings", {
      email: { from: "Acme CS <cs@acme.example>", replyTo: '"Acme, Support" <help@acme.example>' },
      notifications: { managerEmail: "Lead <lead@acme.example>" },
    });
    expect(put.status).toBe(200);
    const mail = await simpleParser((await sendWelcome(ws, "named", "ann@named.example")).raw);
    expect(mail.from?.value).toEqual([{ name: "Acme CS", address: "cs@acme.example" }]);
    expect(mail.replyTo?.value).toEqual([{ name: "Acme, Support", address: "help@acme.example" }]);
    expect(mail.bcc).toBeUndefined();
  });

  it("reads a sender stored before addresses were checked as the default, and still sends", async () => {
    const ws = await stack.newWorkspace();
    // What an older version let through; reads must not fail on it (every send would).
    await stack.database.db
      .update(workspaces)
      .set({
        settings: sql`${JSON.stringify({ email: { from: "a@b.c\r\nBcc: spy@evil.example", replyTo: "nope" } })}::jsonb`,
      })
      .where(eq(workspaces.id, ws.workspaceId));
    const read = await ws.request("GET", "/v1/settings");
    expect(read.status).toBe(200);
    const settings = (await read.json()) as { email: { from: string; replyTo: string | null } };
    expect(settings.email).toMatchObject({ from: "Volante <noreply@volante.local>", replyTo: null });
    const sent = await sendWelcome(ws, "legacy", "bob@legacy.example");
    expect(sent.to).toEqual(["bob@legacy.example"]);
    const mail = await simpleParser(sent.raw);
    expect(mail.from?.value).toEqual([{ name: "Volante", address: "noreply@volante.local" }]);
  });
});

describe("addresses of people (contacts, CSMs, owners)", () => {
  let ws: TestWorkspace;
  beforeAll(async () => {
    ws = await stack.newWorkspace();
    await ws.request("PUT", "/v1/accounts/people", { name: "People KK" });
  });

  it.each([...notOneMailbox, "Ann <ann@people.example>"])(
    "refuses contact email %j at /email",
    async (value) => {
      await refusedAt(
        await ws.request("PUT", "/v1/accounts/people/contacts/ann", { email: value }),
        "/email",
      );
    },
  );

  it.each(["a@b.c\r\nBcc: x@y.z", "Owner <owner@vendor.example>"])(
    "refuses an owner CSM %j at /ownerCsm",
    async (value) => {
      await refusedAt(
        await ws.request("PUT", "/v1/accounts/people", { name: "People KK", ownerCsm: value }),
        "/ownerCsm",
      );
      await refusedAt(await ws.request("PATCH", "/v1/accounts/people", { ownerCsm: value }), "/ownerCsm");
    },
  );

  it("refuses a CSM whose path address is not one mailbox", async () => {
    const res = await ws.request("PUT", `/v1/csms/${encodeURIComponent("a@b.c, d@e.f")}`, {
      name: "Two people",
      tiers: ["high_touch"],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Problem;
    expect(body.errors?.map((e) => e.pointer)).toContain("/email");
  });
});
