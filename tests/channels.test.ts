import { createServer, type Socket } from "node:net";
import { and, eq, like } from "drizzle-orm";
import { type ParsedMail, simpleParser } from "mailparser";
import type { Transporter } from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DeliveryDeps, deliverTouch, type TouchRequest } from "../apps/core/delivery/deliver-touch";
import { createSmtpTransport } from "../apps/core/delivery/mailer";
import { SEND_LEASE_SECONDS } from "../apps/core/delivery/reservations";
import { loadRunContext } from "../apps/core/delivery/run-context";
import type { Enrollment } from "../apps/core/enrollments/schemas";
import { accounts, contactSends, contacts, events, suppressions, touches } from "../db/schema";
import {
  eventually,
  type SmtpSink,
  smtpSink,
  startTestStack,
  type TestStack,
  type TestWorkspace,
  webhookReceiver,
} from "./harness";

let smtp: SmtpSink;
let stack: TestStack;
let ws: TestWorkspace;

beforeAll(async () => {
  smtp = await smtpSink();
  stack = await startTestStack({ smtpUrl: smtp.url });
  ws = await stack.newWorkspace("Acme Cloud");
  // links.app: where customers sign in (the workspace identity).
  await ws.request("PATCH", "/v1/workspace", { appUrl: "https://app.acme.example" });
});
afterAll(async () => {
  await stack?.close();
  await smtp?.close();
});

type Trace = {
  enrollment: Enrollment;
  trace: { kind: string; stepId: string | null; detail: Record<string, unknown> }[];
};

/** A header as sent (mailparser turns List-* headers into objects). */
function rawHeader(mail: ParsedMail, name: string): string {
  const line = mail.headerLines.find((h) => h.key === name)?.line ?? "";
  return line
    .slice(line.indexOf(":") + 1)
    .replace(/\r?\n\s+/g, "")
    .trim();
}

let journeys = 0;
/** Publishes a one-email journey and enrolls the account; returns the enrollment. */
async function sendOnce(
  account: string,
  template = "onboarding-welcome",
  to = "role:admin",
): Promise<Enrollment> {
  const key = `mail-${journeys++}`;
  await ws.request("PUT", `/v1/journeys/${key}`, {
    name: key,
    trigger: { type: "manual" },
    steps: [{ id: "mail", type: "email", template, to }],
  });
  expect((await ws.request("POST", `/v1/journeys/${key}/publish`)).status).toBe(201);
  const res = await ws.request("POST", "/v1/enrollments", { journey: key, account });
  expect(res.status).toBe(201);
  return (await res.json()) as Enrollment;
}

async function finished(id: string): Promise<Trace> {
  return eventually(async () => {
    const t = (await (await ws.request("GET", `/v1/enrollments/${id}/trace`)).json()) as Trace;
    return t.enrollment.status === "completed" ? t : undefined;
  }, `enrollment ${id} to complete`);
}

async function account(
  id: string,
  contacts: { id: string; email: string; locale?: string; name?: string }[],
) {
  await ws.request("PUT", `/v1/accounts/${id}`, { name: `${id} 株式会社`, tier: "tech_touch" });
  for (const c of contacts)
    await ws.request("PUT", `/v1/accounts/${id}/contacts/${c.id}`, {
      email: c.email,
      name: c.name ?? "山田 太郎",
      role: "admin",
      locale: c.locale ?? "en",
    });
}

describe("email through a real SMTP server", () => {
  it("sends both parts with the headers providers demand, in Japanese, with tracked links", async () => {
    await account("kaisha", [{ id: "taro", email: "taro@kaisha.example", locale: "ja" }]);
    const enrollment = await sendOnce("kaisha");
    await finished(enrollment.id);
    const received = smtp.mail.find((m) => m.to.includes("taro@kaisha.example"));
    if (!received) throw new Error("no mail for taro");
    const mail = await simpleParser(received.raw);
    expect(mail.subject).toBe("【Acme Cloud】ご利用開始にあたっての3つのステップ");
    expect(mail.text).toContain("kaisha 株式会社");
    expect(mail.html).toContain("山田 太郎 様");
    const [touch] = await stack.database.db
      .select()
      .from(touches)
      .where(eq(touches.enrollmentId, enrollment.id));
    // Message-ID from the touch id; RFC 8058 one-click unsubscribe.
    expect(mail.messageId).toMatch(new RegExp(`^<${touch?.id}\\.[0-9a-f-]+@volante\\.local>$`));
    const unsubscribe = rawHeader(mail, "list-unsubscribe");
    expect(unsubscribe).toMatch(/^<http:\/\/localhost:3000\/u\/[\w-]+\.[\w-]+>$/);
    expect(rawHeader(mail, "list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");
    // Links go through the signed redirect; an open pixel closes the HTML.
    const clicks = [...String(mail.html).matchAll(/href="(http:\/\/localhost:3000\/t\/c\/[^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(clicks.length).toBeGreaterThan(0);
    expect(String(mail.html)).toMatch(/<img src="http:\/\/localhost:3000\/t\/o\/[^"]+"/);

    // The click redirect goes where the message said, and becomes a message_clicked event.
    const path = new URL(clicks[0] as string).pathname;
    const click = await stack.app.request(path);
    expect(click.status).toBe(302);
    expect(click.headers.get("location")).toBe("https://app.acme.example");
    const tampered = await stack.app.request(`${path.slice(0, -3)}abc`);
    expect(tampered.status).toBe(400);
    expect(await tampered.text()).toContain("This link is not valid");
    const pixel = await stack.app.request(
      new URL(String(mail.html).match(/src="([^"]+\/t\/o\/[^"]+)"/)?.[1] ?? "").pathname,
    );
    expect(pixel.headers.get("content-type")).toBe("image/gif");
    const events = await eventually(async () => {
      const res = (await (await ws.request("GET", `/v1/enrollments/${enrollment.id}/trace`)).json()) as Trace;
      return res.enrollment ? res : undefined;
    }, "trace");
    expect(events.enrollment.id).toBe(enrollment.id);
  });

  it("unsubscribes in one click, shows the preferences page, and the arbiter holds the next email", async () => {
    await account("optout", [
      { id: "a", email: "a@optout.example" },
      { id: "b", email: "b@optout.example" },
    ]);
    await finished((await sendOnce("optout")).id);
    const mail = await simpleParser(smtp.mail.find((m) => m.to.includes("a@optout.example"))?.raw ?? "");
    const url = new URL(rawHeader(mail, "list-unsubscribe").slice(1, -1));
    const page = await stack.app.request(url.pathname);
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain("a@optout.example");
    expect(body).toContain('value="onboarding" checked');

    const oneClick = await stack.app.request(url.pathname, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    expect(oneClick.status).toBe(200);
    const rows = await stack.database.db
      .select()
      .from(suppressions)
      .where(eq(suppressions.workspaceId, ws.workspaceId));
    expect(rows.map((r) => [r.category, r.source])).toEqual([["onboarding", "one_click"]]);
    expect(await (await stack.app.request(url.pathname)).text()).toContain('value="onboarding" >');

    // A tampered token gets a clear 400 page, never a 500 or someone else's preferences.
    const forged = url.pathname.replace(/\.[\w-]+$/, ".AAAA");
    expect((await stack.app.request(forged)).status).toBe(400);
    expect(
      (await stack.app.request(forged, { method: "POST", body: "List-Unsubscribe=One-Click" })).status,
    ).toBe(400);

    // The next onboarding email reaches b only; the trace says why a was left out.
    const before = smtp.mail.length;
    const second = await finished((await sendOnce("optout")).id);
    const sent = second.trace.find((t) => t.kind === "sent");
    expect(sent?.detail.decisions).toEqual(
      expect.arrayContaining([
        { to: "a@optout.example", decision: "unsubscribed", category: "onboarding" },
        { to: "b@optout.example", decision: "send" },
      ]),
    );
    expect(smtp.mail.slice(before).map((m) => m.to)).toEqual([["b@optout.example"]]);
  });

  it("sends a high-touch account's email from its owner CSM, who gets the replies", async () => {
    await ws.request("PUT", "/v1/csms/hanako@vendor.example", { name: "Hanako Sato" });
    await ws.request("PUT", "/v1/accounts/bigco", {
      name: "BigCo",
      tier: "high_touch",
      ownerCsm: "hanako@vendor.example",
    });
    await ws.request("PUT", "/v1/accounts/bigco/contacts/cfo", { email: "cfo@bigco.example", role: "admin" });
    await finished((await sendOnce("bigco", "onboarding-check-in")).id);
    const mail = await simpleParser(smtp.mail.find((m) => m.to.includes("cfo@bigco.example"))?.raw ?? "");
    expect(mail.from?.value).toEqual([{ name: "Hanako Sato", address: "hanako@vendor.example" }]);
    expect(mail.replyTo?.value).toEqual([{ name: "", address: "hanako@vendor.example" }]);
    // Tech touch keeps the workspace's sender.
    const techTouch = await simpleParser(
      smtp.mail.find((m) => m.to.includes("taro@kaisha.example"))?.raw ?? "",
    );
    expect(techTouch.from?.value).toEqual([{ name: "Volante", address: "noreply@volante.local" }]);
  });

  it("emails a CSM the API assigns an escalation to through the same SMTP server as the journeys", async () => {
    await ws.request("PUT", "/v1/csms/first@vendor.example", { capacity: 5, tiers: ["tech_touch"] });
    await ws.request("PUT", "/v1/csms/second@vendor.example", { capacity: 5, tiers: ["low_touch"] });
    await account("handover", [{ id: "admin", email: "admin@handover.example" }]);
    await ws.request("PUT", "/v1/journeys/call-handover", {
      name: "Call",
      trigger: { type: "manual" },
      steps: [{ id: "call", type: "escalate", reason: "Silent account", priority: "high", sla: "P2D" }],
    });
    expect((await ws.request("POST", "/v1/journeys/call-handover/publish")).status).toBe(201);
    await ws.request("POST", "/v1/enrollments", { journey: "call-handover", account: "handover" });
    const opened = await eventually(async () => {
      const list = (await (await ws.request("GET", "/v1/escalations")).json()) as {
        data: { id: string; assignee: string | null }[];
      };
      return list.data.find((e) => e.assignee === "first@vendor.example");
    }, "the escalation to reach first@");
    const moved = await ws.request("POST", `/v1/escalations/${opened.id}/reassign`, {
      assignee: "second@vendor.example",
    });
    expect(moved.status).toBe(200);
    const mail = await eventually(
      async () => smtp.mail.find((m) => m.to.includes("second@vendor.example")),
      "the new assignee's email at the SMTP server",
    );
    const parsed = await simpleParser(mail.raw);
    expect(parsed.text).toContain("Silent account");
  });

  it("retries a 4xx until the server takes it, and records a 5xx as failed without retrying", async () => {
    await account("flaky", [{ id: "f", email: "flaky@flaky.example" }]);
    await finished((await sendOnce("flaky")).id);
    expect(smtp.attempts.get("flaky@flaky.example")).toBe(2);
    expect(smtp.mail.filter((m) => m.to.includes("flaky@flaky.example"))).toHaveLength(1);

    await account("bounce", [{ id: "x", email: "bounce@bounce.example" }]);
    const bounced = await finished((await sendOnce("bounce")).id);
    const notSent = bounced.trace.find((t) => t.kind === "not_sent");
    expect(notSent?.detail).toMatchObject({ status: "failed" });
    expect(String(notSent?.detail.reason)).toContain("550");
    expect(smtp.attempts.get("bounce@bounce.example")).toBe(1);
    const [send] = await stack.database.db
      .select()
      .from(contactSends)
      .innerJoin(touches, eq(touches.id, contactSends.touchId))
      .where(eq(touches.enrollmentId, bounced.enrollment.id));
    expect(send?.contact_sends).toMatchObject({ status: "failed" });
  });

  it("keeps the frequency cap when two journeys send to one person at the same moment", async () => {
    const put = await ws.request("PUT", "/v1/settings", {
      delivery: { frequencyCap: { max: 1, per: "P1D" } },
    });
    expect(put.status).toBe(200);
    await account("capped", [{ id: "c", email: "c@capped.example" }]);
    const [one, two] = await Promise.all([sendOnce("capped"), sendOnce("capped", "onboarding-check-in")]);
    const traces = await Promise.all([finished(one.id), finished(two.id)]);
    const kinds = traces.map((t) => t.trace.find((e) => e.kind === "sent" || e.kind === "not_sent"));
    expect(kinds.map((k) => k?.kind).sort()).toEqual(["not_sent", "sent"]);
    const held = kinds.find((k) => k?.kind === "not_sent");
    expect(held?.detail.decisions).toEqual([
      { to: "c@capped.example", decision: "frequency_cap", max: 1, per: "P1D" },
    ]);
    expect(smtp.mail.filter((m) => m.to.includes("c@capped.example"))).toHaveLength(1);
    await ws.request("PUT", "/v1/settings", {});
  });

  it("previews a template with sample data or yours, and lists what it leaves empty", async () => {
    const res = await ws.request("POST", "/v1/templates/onboarding-welcome/preview", {
      data: { contact: { locale: "ja", name: null }, account: { name: "<b>Globex</b>" } },
    });
    expect(res.status).toBe(200);
    const preview = (await res.json()) as {
      subject: string;
      html: string;
      text: string;
      missing: string[];
      locale: string;
    };
    expect(preview.locale).toBe("ja");
    // The workspace's own name, as its mail will say.
    expect(preview.subject).toBe("【Acme Cloud】ご利用開始にあたっての3つのステップ");
    expect(preview.html).toContain("&lt;b&gt;Globex&lt;/b&gt;");
    expect(preview.html).toContain("ご担当者様");
    expect(preview.missing).toEqual(["contact.name"]);
    expect(preview.text).toContain("<b>Globex</b>");

    const put = await ws.request("PUT", "/v1/templates/renewal-note", {
      channel: "email",
      category: "renewal",
      subject: "Renewal on {{formatDate renewal.date}}",
      body: '<p>{{plural usage.activeUsers28d "person" "people"}} used it. {{default csm.name "Your team"}}</p>',
    });
    expect(put.status).toBe(201);
    const own = (await (
      await ws.request("POST", "/v1/templates/renewal-note/preview", { data: { csm: { name: null } } })
    ).json()) as { subject: string; html: string; missing: string[] };
    expect(own.subject).toBe("Renewal on March 31, 2027");
    expect(own.html).toContain("9 people used it. Your team");
    expect(own.missing).toEqual(["csm.name"]);
    expect((await ws.request("POST", "/v1/templates/nope/preview", {})).status).toBe(404);
    expect((await ws.request("POST", "/v1/templates/renewal-note/preview", { data: [] })).status).toBe(422);
  });
});

/** Enrolls the account in a journey that sleeps first, so a test can deliver touches of it by hand. */
async function sleepingEnrollment(account: string): Promise<Enrollment> {
  const key = `asleep-${journeys++}`;
  await ws.request("PUT", `/v1/journeys/${key}`, {
    name: key,
    trigger: { type: "manual" },
    steps: [
      { id: "nap", type: "wait", duration: "P30D" },
      { id: "mail", type: "email", template: "onboarding-welcome", to: "role:admin" },
    ],
  });
  expect((await ws.request("POST", `/v1/journeys/${key}/publish`)).status).toBe(201);
  const res = await ws.request("POST", "/v1/enrollments", { journey: key, account });
  expect(res.status).toBe(201);
  return (await res.json()) as Enrollment;
}

function deliveryDeps(transport: Transporter | undefined): DeliveryDeps {
  const { db, outboxDir, fileTemplates, renderer, publicUrl, clock, outbound } = stack.workerConfig;
  return { db, outboxDir, fileTemplates, renderer, publicUrl, transport, clock, outbound };
}

describe("send reservations", () => {
  it("sends again, with the same Message-ID, an email whose worker died after reserving it", async () => {
    await account("crash", [{ id: "k", email: "k@crash.example" }]);
    const enrollment = await sleepingEnrollment("crash");
    const touch = (touchKey: string): TouchRequest => ({
      workspaceId: ws.workspaceId,
      enrollmentId: enrollment.id,
      journeyName: "asleep",
      touchKey,
      stepId: "mail",
      channel: "email",
      template: "onboarding-welcome",
      to: "role:admin",
      at: new Date().toISOString(),
    });
    // The worker dies inside sendMail: the call never comes back, nothing after it runs.
    const dead = { sendMail: () => new Promise(() => {}) } as unknown as Transporter;
    const hung = deliverTouch(deliveryDeps(dead), touch("mail:1"));
    void hung; // never settles: that worker is gone
    const reservation = await eventually(async () => {
      const [row] = await stack.database.db
        .select()
        .from(contactSends)
        .innerJoin(touches, eq(touches.id, contactSends.touchId))
        .where(eq(touches.enrollmentId, enrollment.id));
      return row?.contact_sends;
    }, "the reservation");
    expect(reservation.status).toBe("pending");

    // The pending reservation counts against the cap: another touch to the same person is held.
    const settingsBefore = await (await ws.request("GET", "/v1/settings")).json();
    let retried: Awaited<ReturnType<typeof deliverTouch>>;
    try {
      await ws.request("PUT", "/v1/settings", { delivery: { frequencyCap: { max: 1, per: "P1D" } } });
      const other = await deliverTouch(deliveryDeps(stack.workerConfig.transport), touch("mail:2"));
      expect(other.decisions).toEqual([
        { to: "k@crash.example", decision: "frequency_cap", max: 1, per: "P1D" },
      ]);

      // While the attempt holding it may still be sending (its lease runs), a retry sends nothing.
      await expect(
        deliverTouch(deliveryDeps(stack.workerConfig.transport), { ...touch("mail:1"), attempt: 2 }),
      ).rejects.toThrow(/in flight/);
      expect(smtp.mail.filter((m) => m.to.includes("k@crash.example"))).toHaveLength(0);

      // Once the lease has run out the holder is taken for dead: the retry sends it (its own
      // reservation does not cap it), with the Message-ID it was given.
      await stack.database.db
        .update(contactSends)
        .set({ reservedAt: new Date(Date.now() - (SEND_LEASE_SECONDS + 1) * 1000) })
        .where(eq(contactSends.id, reservation.id));
      retried = await deliverTouch(deliveryDeps(stack.workerConfig.transport), {
        ...touch("mail:1"),
        attempt: 3,
      });
    } finally {
      await ws.request("PUT", "/v1/settings", settingsBefore);
    }
    expect(retried.status).toBe("sent");
    const received = smtp.mail.filter((m) => m.to.includes("k@crash.example"));
    expect(received).toHaveLength(1);
    const mail = await simpleParser(received[0]?.raw ?? "");
    const messageId = `<${reservation.touchId}.${reservation.contactId}@volante.local>`;
    expect(mail.messageId).toBe(messageId);
    const [settled] = await stack.database.db
      .select()
      .from(contactSends)
      .where(eq(contactSends.id, reservation.id));
    expect(settled).toMatchObject({ status: "sent", messageId });
  });
});

describe("the arbiter in deliverTouch", () => {
  it("holds a paused journey's touch, the owner CSM's copy too, and sends both once it resumes", async () => {
    await account("hold", [{ id: "h", email: "h@hold.example" }]);
    await ws.request("PUT", "/v1/accounts/hold", {
      name: "hold 株式会社",
      tier: "tech_touch",
      ownerCsm: "mia@vendor.example",
    });
    const enrollment = await sleepingEnrollment("hold");
    const run = await loadRunContext(stack.database.db, ws.workspaceId, enrollment.id);
    if (!run) throw new Error("no run context");
    const touch = (touchKey: string, to: string): TouchRequest => ({
      workspaceId: ws.workspaceId,
      enrollmentId: enrollment.id,
      journeyName: run.journeyName,
      touchKey,
      stepId: "mail",
      channel: "email",
      template: "onboarding-welcome",
      to,
      at: new Date().toISOString(),
    });
    const deps = deliveryDeps(stack.workerConfig.transport);
    const paused = { ...run, journeyStatus: "paused" as const };

    const heldContact = await deliverTouch(deps, touch("mail:1", "role:admin"), paused);
    const heldCsm = await deliverTouch(deps, touch("mail:2", "owner_csm"), paused);
    // decide() answers `paused` for every recipient (it comes first); nothing is claimed or recorded.
    expect(heldContact).toEqual({
      status: "held",
      reason: "journey_paused",
      decisions: [{ to: "h@hold.example", decision: "paused" }],
      recipients: [],
      duplicate: false,
      messageIds: [],
    });
    expect(heldCsm).toMatchObject({
      status: "held",
      reason: "journey_paused",
      decisions: [{ to: "mia@vendor.example", decision: "paused" }],
    });
    expect(
      smtp.mail.filter((m) => m.to.includes("h@hold.example") || m.to.includes("mia@vendor.example")),
    ).toEqual([]);
    const recorded = await stack.database.db
      .select()
      .from(touches)
      .where(eq(touches.enrollmentId, enrollment.id));
    expect(recorded).toEqual([]);

    const sentContact = await deliverTouch(deps, touch("mail:1", "role:admin"), run);
    const sentCsm = await deliverTouch(deps, touch("mail:2", "owner_csm"), run);
    expect(sentContact).toMatchObject({
      status: "sent",
      recipients: ["h@hold.example"],
      decisions: [{ to: "h@hold.example", decision: "send" }],
    });
    expect(sentCsm).toMatchObject({
      status: "sent",
      recipients: ["mia@vendor.example"],
      decisions: [{ to: "mia@vendor.example", decision: "send" }],
    });
    await eventually(
      async () =>
        smtp.mail.filter((m) => m.to.includes("h@hold.example") || m.to.includes("mia@vendor.example"))
          .length === 2 || undefined,
      "both emails at the SMTP server",
    );
  });
});

describe("what a sent email says", () => {
  let mail: ParsedMail;
  let enrollment: Enrollment;
  const reportsUrl = "https://app.example/reports?team=a&view=b";

  beforeAll(async () => {
    await ws.request("PUT", "/v1/csms/jiro@vendor.example", { name: "Jiro Tanaka" });
    await ws.request("PUT", "/v1/accounts/smith", {
      name: "Smith & Sons",
      tier: "tech_touch",
      licenses: 4,
      ownerCsm: "jiro@vendor.example",
      timezone: "America/Los_Angeles",
      attributes: { reports: reportsUrl },
    });
    await ws.request("PUT", "/v1/accounts/smith/contacts/ann", {
      email: "ann@smith.example",
      name: "Ann Smith",
      role: "admin",
      locale: "en",
      timezone: "Asia/Tokyo",
      attributes: { trialEndsAt: "2026-11-22T23:30:00Z" },
    });
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000 - 3_600_000).toISOString();
    const ingested = await ws.request("POST", "/v1/events", {
      events: [
        { id: "smith-login", account: "smith", contact: "ann", name: "login", occurredAt: twoDaysAgo },
      ],
    });
    expect(ingested.status).toBe(200);
    await stack.database.db
      .update(accounts)
      .set({ healthScore: 71, healthBand: "green" })
      .where(and(eq(accounts.workspaceId, ws.workspaceId), eq(accounts.externalId, "smith")));
    const put = await ws.request("PUT", "/v1/templates/smith-note", {
      channel: "email",
      category: "product_tips",
      subject: "Q&A <live> for {{account.name}}",
      body: [
        "<p>{{csm.name}} ({{csm.email}}): {{usage.activeUsers28d}} of {{usage.licenses}} seats,",
        "ratio {{usage.deploymentRatio}}, last login {{usage.daysSinceLastLogin}} days ago,",
        "health {{health.score}} {{health.band}}, trial ends {{formatDate contact.attributes.trialEndsAt}}.</p>",
        '<p><a href="{{account.attributes.reports}}">Your reports</a></p>',
      ].join("\n"),
    });
    expect(put.status).toBe(201);
    enrollment = await sendOnce("smith", "smith-note");
    await finished(enrollment.id);
    mail = await simpleParser(smtp.mail.find((m) => m.to.includes("ann@smith.example"))?.raw ?? "");
  });

  it("has a plain-text subject: no HTML escaping of & or <, and no way to add a header", () => {
    expect(mail.subject).toBe("Q&A <live> for Smith & Sons");
  });

  it("fills the CSM, usage and health from the account, and dates in the contact's time zone", () => {
    const text = String(mail.text);
    expect(text).toContain("Jiro Tanaka (jiro@vendor.example): 1 of 4 seats");
    expect(text).toContain("ratio 0.25, last login 2 days ago");
    expect(text).toContain("health 71 green");
    // 23:30 UTC is already the next day in Tokyo (and still the 22nd in the account's Los Angeles).
    expect(text).toContain("trial ends November 23, 2026.");
  });

  it("redirects a tracked link with a query string to the very URL the template wrote", async () => {
    const click = String(mail.html).match(
      /href="(http:\/\/localhost:3000\/t\/c\/[^"]+)"[^>]*>Your reports/,
    )?.[1];
    if (!click) throw new Error("no tracked link to the reports");
    const res = await stack.app.request(new URL(click).pathname);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(reportsUrl);
  });

  it("records an open and a click as events naming the enrollment and the step", async () => {
    const pixel = String(mail.html).match(/src="(http:\/\/localhost:3000\/t\/o\/[^"]+)"/)?.[1];
    const click = String(mail.html).match(/href="(http:\/\/localhost:3000\/t\/c\/[^"]+)"/)?.[1];
    if (!pixel || !click) throw new Error("no pixel or tracked link");
    expect((await stack.app.request(new URL(pixel).pathname)).status).toBe(200);
    expect((await stack.app.request(new URL(click).pathname)).status).toBe(302);
    const [touch] = await stack.database.db
      .select()
      .from(touches)
      .where(eq(touches.enrollmentId, enrollment.id));
    const stored = await stack.database.db
      .select({ name: events.name, properties: events.properties })
      .from(events)
      .where(and(eq(events.workspaceId, ws.workspaceId), like(events.eventId, `%:${touch?.id}:%`)));
    const byName = Object.fromEntries(stored.map((e) => [e.name, e.properties]));
    expect(byName.message_opened).toMatchObject({
      enrollmentId: enrollment.id,
      stepId: "mail",
      channel: "email",
    });
    expect(byName.message_clicked).toMatchObject({
      enrollmentId: enrollment.id,
      stepId: "mail",
      channel: "email",
      url: reportsUrl,
    });
  });
});

describe("SMTP timeouts", () => {
  it("gives up on a server that accepts the connection and never greets, before the activity times out", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const transport = createSmtpTransport(`smtp://127.0.0.1:${port}?ignoreTLS=true`);
      // nodemailer's own default would wait 10 minutes; the delivery activity gets one.
      await expect(
        transport.sendMail({ from: "a@x.example", to: "b@x.example", subject: "s", text: "t" }),
      ).rejects.toMatchObject({ code: "ETIMEDOUT" });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 45_000);
});

describe("templates API", () => {
  type ProblemJson = { status: number; errors?: { pointer: string }[] };

  it("answers a bad preview body with a 4xx problem naming the field, whatever its content type", async () => {
    const preview = (body: string | undefined, type?: string) =>
      ws.request(
        "POST",
        "/v1/templates/onboarding-welcome/preview",
        body,
        type ? { "content-type": type } : {},
      );
    const bad = await preview(JSON.stringify({ data: [] }));
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as ProblemJson).errors?.map((e) => e.pointer)).toEqual(["/data"]);
    const asText = await preview(JSON.stringify({ data: [] }), "text/plain");
    expect(asText.status).toBe(415);
    expect(asText.headers.get("content-type")).toContain("application/problem+json");
    expect((await preview("{not json")).status).toBe(400);
    const none = await ws.request("POST", "/v1/templates/onboarding-welcome/preview");
    expect(none.status).toBe(200);
    expect(((await none.json()) as { locale: string }).locale).toBe("en");
  });

  it("overrides one locale of a file template and keeps the file's others", async () => {
    const own = await stack.newWorkspace("Override");
    const put = await own.request("PUT", "/v1/templates/onboarding-welcome", {
      channel: "email",
      category: "onboarding",
      locale: "en",
      subject: "Hello from us, {{account.name}}",
      body: "<p>Our own welcome.</p>",
    });
    expect(put.status).toBe(201);
    const preview = async (locale: string) =>
      (await (await own.request("POST", "/v1/templates/onboarding-welcome/preview", { locale })).json()) as {
        subject: string;
        locale: string;
      };
    expect(await preview("en")).toMatchObject({ locale: "en", subject: "Hello from us, Acme KK" });
    expect(await preview("ja")).toMatchObject({
      locale: "ja",
      subject: "【Override】ご利用開始にあたっての3つのステップ",
    });
    const { data } = (await (await own.request("GET", "/v1/templates")).json()) as {
      data: { key: string; locales: string[]; source: string }[];
    };
    expect(data.find((t) => t.key === "onboarding-welcome")).toMatchObject({
      locales: ["en", "ja"],
      source: "workspace",
    });
  });

  it("sends the workspace's locale where it has one and the file's where it has not", async () => {
    const put = await ws.request("PUT", "/v1/templates/adoption-kickoff", {
      channel: "email",
      category: "adoption",
      locale: "en",
      subject: "On to everyday use, {{account.name}}",
      body: "<p>Our own kickoff.</p>",
    });
    expect(put.status).toBe(201);
    await account("bilingual", [
      { id: "en", email: "en@bilingual.example", locale: "en" },
      { id: "ja", email: "ja@bilingual.example", locale: "ja" },
    ]);
    await finished((await sendOnce("bilingual", "adoption-kickoff")).id);
    const subjectFor = async (to: string) =>
      (await simpleParser(smtp.mail.find((m) => m.to.includes(to))?.raw ?? "")).subject;
    expect(await subjectFor("en@bilingual.example")).toBe("On to everyday use, bilingual 株式会社");
    expect(await subjectFor("ja@bilingual.example")).toBe(
      "【Acme Cloud】オンボーディング完了と、活用定着に向けた次のステップ",
    );
  });

  it("refuses to change the channel of an existing template, file default or its own", async () => {
    const own = await stack.newWorkspace("Channels");
    const toInApp = await own.request("PUT", "/v1/templates/onboarding-welcome", {
      channel: "in_app",
      category: "onboarding",
      locale: "ko",
      body: "Welcome",
    });
    expect(toInApp.status).toBe(422);
    expect(((await toInApp.json()) as ProblemJson).errors?.map((e) => e.pointer)).toEqual(["/channel"]);
    const email = { channel: "email", category: "renewal", subject: "Hi", body: "<p>Hi</p>" };
    expect((await own.request("PUT", "/v1/templates/own-note", email)).status).toBe(201);
    const sameLocale = await own.request("PUT", "/v1/templates/own-note", {
      channel: "in_app",
      category: "renewal",
      body: "Hi",
    });
    expect(sameLocale.status).toBe(422);
    expect(
      (await own.request("PUT", "/v1/templates/own-note", { ...email, body: "<p>Hello</p>" })).status,
    ).toBe(200);
  });
});

describe("the arbiter's exemptions and the preferences form", () => {
  /** The touch's trace entry once it is decided: sent, not sent or deferred. */
  async function decided(id: string) {
    return eventually(async () => {
      const t = (await (await ws.request("GET", `/v1/enrollments/${id}/trace`)).json()) as Trace;
      return t.trace.find((e) => ["sent", "not_sent", "deferred"].includes(e.kind));
    }, `the touch of ${id} to be decided`);
  }
  const hhmm = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString().slice(11, 16);

  async function preferencesLink(accountId: string, email: string): Promise<string> {
    await finished((await sendOnce(accountId)).id);
    const mail = await simpleParser(smtp.mail.find((m) => m.to.includes(email))?.raw ?? "");
    return new URL(rawHeader(mail, "list-unsubscribe").slice(1, -1)).pathname;
  }

  /** Submits the preferences page's form (its hidden `preferences` field, and these fields). */
  function postForm(path: string, form: string) {
    return stack.app.request(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form ? `preferences=1&${form}` : "preferences=1",
    });
  }

  it("sends a transactional email through the cap, quiet hours and category opt-outs, without List-Unsubscribe", async () => {
    await account("billing", [
      { id: "pay", email: "pay@billing.example" },
      { id: "ops", email: "ops@billing.example" },
    ]);
    const page = await preferencesLink("billing", "pay@billing.example");
    // Both capped by the email above, both in quiet hours; pay opted out of every category (not of everything).
    expect((await postForm(page, "")).status).toBe(200);
    const settings = await ws.request("PUT", "/v1/settings", {
      delivery: {
        frequencyCap: { max: 1, per: "P1D" },
        quietHours: { start: hhmm(-3_600_000), end: hhmm(2 * 3_600_000) },
      },
    });
    expect(settings.status).toBe(200);
    try {
      const before = smtp.mail.length;
      const invoice = await decided((await sendOnce("billing", "billing-invoice-ready")).id);
      expect(invoice.kind).toBe("sent");
      expect(invoice.detail.decisions).toEqual([
        { to: "ops@billing.example", decision: "send" },
        { to: "pay@billing.example", decision: "send" },
      ]);
      const received = smtp.mail.slice(before).filter((m) => m.to.includes("pay@billing.example"));
      expect(received).toHaveLength(1);
      const mail = await simpleParser(received[0]?.raw ?? "");
      expect(mail.subject).toBe("Your Acme Cloud invoice for billing 株式会社 is ready");
      expect(rawHeader(mail, "list-unsubscribe")).toBe("");
      expect(rawHeader(mail, "list-unsubscribe-post")).toBe("");

      // The same moment, a product tip is held: by the opt-out for pay, by quiet hours for ops.
      const tip = await decided((await sendOnce("billing", "tip-integrations")).id);
      expect(tip.kind).toBe("deferred");
      expect(tip.detail.decisions).toEqual([
        { to: "ops@billing.example", decision: "quiet_hours", until: expect.any(String), timezone: "UTC" },
        { to: "pay@billing.example", decision: "unsubscribed", category: "product_tips" },
      ]);
    } finally {
      await ws.request("PUT", "/v1/settings", {});
    }
  });

  it("saves the preferences form: unchecked categories stop, everything stops all, checking again resumes", async () => {
    await account("prefs", [{ id: "p", email: "p@prefs.example" }]);
    const page = await preferencesLink("prefs", "p@prefs.example");
    const saved = await postForm(page, "keep=renewal&keep=product_tips");
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain("Your choices are saved.");
    const form = await (await stack.app.request(page)).text();
    expect(form).toContain('value="renewal" checked');
    expect(form).toContain('value="onboarding" >');
    const welcome = await finished((await sendOnce("prefs")).id);
    expect(welcome.trace.find((t) => t.kind === "not_sent")?.detail.decisions).toEqual([
      { to: "p@prefs.example", decision: "unsubscribed", category: "onboarding" },
    ]);

    const everything = await postForm(page, "keep=renewal&all=1");
    expect(await everything.text()).toContain("You will not receive any more emails from us.");
    const renewal = await finished((await sendOnce("prefs", "renewal-reminder")).id);
    expect(renewal.trace.find((t) => t.kind === "not_sent")?.detail.decisions).toEqual([
      { to: "p@prefs.example", decision: "unsubscribed", category: "*" },
    ]);
    const rows = await stack.database.db
      .select({ category: suppressions.category, source: suppressions.source })
      .from(suppressions)
      .innerJoin(contacts, eq(contacts.id, suppressions.contactId))
      .where(and(eq(suppressions.workspaceId, ws.workspaceId), eq(contacts.email, "p@prefs.example")));
    expect(rows.filter((r) => r.category === "*")).toEqual([{ category: "*", source: "page" }]);

    // Checking onboarding again (and leaving "everything" unchecked) lets the welcome through.
    await postForm(page, "keep=renewal&keep=onboarding");
    const again = await finished((await sendOnce("prefs")).id);
    expect(again.trace.find((t) => t.kind === "sent")?.detail.decisions).toEqual([
      { to: "p@prefs.example", decision: "send" },
    ]);
  });
});

describe("journey webhooks", () => {
  async function postTo(url: string): Promise<Trace> {
    const key = `hook-${journeys++}`;
    await ws.request("PUT", `/v1/journeys/${key}`, {
      name: key,
      trigger: { type: "manual" },
      steps: [{ id: "notify", type: "webhook", url, payload: { kind: "test" } }],
    });
    expect((await ws.request("POST", `/v1/journeys/${key}/publish`)).status).toBe(201);
    await account(key, []);
    const res = await ws.request("POST", "/v1/enrollments", { journey: key, account: key });
    expect(res.status).toBe(201);
    return finished(((await res.json()) as Enrollment).id);
  }

  it("retries a 503 with the same idempotency key and records the 200 that follows", async () => {
    const receiver = await webhookReceiver([503, 200]);
    try {
      const done = await postTo(receiver.url);
      expect(receiver.received).toHaveLength(2);
      const keys = receiver.received.map((r) => r.headers["idempotency-key"]);
      expect(keys[0]).toMatch(new RegExp(`^${done.enrollment.id}:`));
      expect(keys[1]).toBe(keys[0]);
      expect(receiver.received[1]?.body).toMatchObject({ kind: "test", stepId: "notify" });
      expect(done.trace.filter((t) => t.kind.startsWith("webhook_"))).toMatchObject([
        { kind: "webhook_delivered", stepId: "notify", detail: { ok: true, status: 200 } },
      ]);
    } finally {
      await receiver.close();
    }
  });

  it("records a 400 as failed after one attempt, and the journey goes on", async () => {
    const receiver = await webhookReceiver([400]);
    try {
      const done = await postTo(receiver.url);
      expect(receiver.received).toHaveLength(1);
      expect(done.trace.filter((t) => t.kind.startsWith("webhook_"))).toMatchObject([
        {
          kind: "webhook_failed",
          stepId: "notify",
          detail: { ok: false, status: 400, error: "webhook answered 400" },
        },
      ]);
    } finally {
      await receiver.close();
    }
  });
});
