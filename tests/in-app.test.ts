import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { and, eq, like } from "drizzle-orm";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InAppMessage, WidgetKeys } from "../apps/core/delivery/in-app-widget";
import type { Enrollment } from "../apps/core/enrollments/schemas";
import { contacts, events, inAppMessages } from "../db/schema";
import { launchBrowser } from "./browser";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "./harness";

// The in-app channel end to end: a journey stores a message, a real Chromium on another origin loads
// /widget.js from the API's own HTTP port, shows the message, and the click drives the journey on.
let stack: TestStack;
let ws: TestWorkspace;
let browser: Browser;
let api: { url: string; close(): Promise<void> };
let pages: { url: string; close(): Promise<void> };
let keys: WidgetKeys;
let enrollmentId: string;
const pageHtml = new Map<string, string>();

// Markup in a name must reach the screen as text: the widget only ever uses textContent.
const ACCOUNT_NAME = `Kappa <img src=x onerror="window.pwned=1">`;
// The workspace's app (links.app), where the call to action leads.
const CTA_URL = "https://app.volante-demo.example/";

const journey = {
  name: "First value, in the product",
  trigger: { type: "manual" },
  steps: [
    { id: "nudge", type: "in_app", template: "first-value-checklist", to: "role:admin" },
    {
      id: "await-click",
      type: "wait_for_event",
      event: "message_clicked",
      timeout: "P7D",
      onTimeout: "call",
    },
    {
      id: "clicked",
      type: "branch",
      if: { fact: "touch.nudge.clicked", op: "eq", value: true },
      then: "adopt",
      else: "call",
    },
    { id: "adopt", type: "set_stage", stage: "adoption", next: null },
    { id: "call", type: "escalate", reason: "In-app nudge not clicked", sla: "P2D", next: null },
  ],
};

type Trace = {
  enrollment: Enrollment;
  trace: { kind: string; stepId: string | null; detail: Record<string, unknown> }[];
};

function hashFor(account: string, contact: string, secret = keys.identitySecret): string {
  return createHmac("sha256", secret).update(`${account}/${contact}`).digest("hex");
}

function credentials(contact: string, hash = hashFor("kappa", contact)) {
  return { key: keys.publishableKey, account: "kappa", contact, hash };
}

/** A public call over real HTTP, as a page on another origin makes it. */
function publicCall(path: string, init: RequestInit = {}) {
  return fetch(`${api.url}${path}`, { ...init, headers: { origin: pages.url, ...init.headers } });
}

function messagesOf(contact: string, hash?: string) {
  return publicCall(`/in-app/messages?${new URLSearchParams(credentials(contact, hash))}`);
}

async function messageRow(contactExternalId: string) {
  const [row] = await stack.database.db
    .select({ message: inAppMessages })
    .from(inAppMessages)
    .innerJoin(contacts, eq(contacts.id, inAppMessages.contactId))
    .where(and(eq(contacts.externalId, contactExternalId), eq(inAppMessages.workspaceId, ws.workspaceId)));
  return row?.message;
}

async function trace(id: string): Promise<Trace> {
  return (await (await ws.request("GET", `/v1/enrollments/${id}/trace`)).json()) as Trace;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

beforeAll(async () => {
  const launching = launchBrowser();
  stack = await startTestStack();
  ws = await stack.newWorkspace("Volante Demo");
  await ws.request("PATCH", "/v1/workspace", { appUrl: CTA_URL });

  const apiServer = serve({ fetch: stack.app.fetch, port: 0, hostname: "127.0.0.1" }) as Server;
  api = { url: await listen(apiServer), close: () => close(apiServer) };
  const pageServer = createServer((req, res) => {
    const html = pageHtml.get(req.url ?? "");
    res.writeHead(html ? 200 : 404, { "content-type": "text/html; charset=utf-8" }).end(html ?? "");
  });
  pages = { url: await listen(pageServer), close: () => close(pageServer) };

  expect((await ws.request("PUT", "/v1/journeys/first-value-in-app", journey)).status).toBeLessThan(300);
  expect((await ws.request("POST", "/v1/journeys/first-value-in-app/publish")).status).toBe(201);
  const account = await ws.request("PUT", "/v1/accounts/kappa", {
    name: ACCOUNT_NAME,
    tier: "tech_touch",
    lifecycleStage: "onboarding",
    licenses: 10,
  });
  expect(account.status).toBeLessThan(300);
  for (const [id, name] of [
    ["u-1", "Aiko Sato"],
    ["u-2", "Ken Ito"],
  ]) {
    const res = await ws.request("PUT", `/v1/accounts/kappa/contacts/${id}`, {
      email: `${id}@kappa.example`,
      name,
      role: "admin",
    });
    expect(res.status).toBeLessThan(300);
  }
  keys = (await (await ws.request("GET", "/v1/in-app/keys")).json()) as WidgetKeys;
  const enrolled = await ws.request("POST", "/v1/enrollments", {
    journey: "first-value-in-app",
    account: "kappa",
  });
  expect(enrolled.status).toBe(201);
  enrollmentId = ((await enrolled.json()) as Enrollment).id;
  await eventually(async () => ((await messageRow("u-2")) ? true : undefined), "the in-app messages");
  browser = await launching;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await pages?.close();
  await api?.close();
  await stack?.close();
});

describe("in-app widget API", () => {
  it("hands out the publishable key and identity secret only with the API key", async () => {
    expect(keys.publishableKey).toMatch(/^pk_/);
    expect(keys.identitySecret).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.userHash).toContain("HMAC-SHA256");
    const anonymous = await stack.app.request("/v1/in-app/keys");
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("content-type")).toContain("application/problem+json");
  });

  it("serves the widget script for any page to load", async () => {
    const res = await publicCall("/widget.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/javascript");
    expect(res.headers.get("cache-control")).toContain("max-age=");
    expect(await res.text()).toContain("window.Volante");
  });

  it("lists a contact's messages, rendered as plain text, when the hash proves the contact", async () => {
    const res = await messagesOf("u-1");
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const { data } = (await res.json()) as { data: InAppMessage[] };
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({
      style: "banner",
      title: "Get your first result this week",
      ctaLabel: "Get started",
      ctaUrl: CTA_URL,
      status: "unseen",
    });
    expect(data[0]?.body).toContain(`what it can do for ${ACCOUNT_NAME}.`);
  });

  it("answers a wrong or missing hash with the same 401, whether or not the contact exists", async () => {
    const wrong = await messagesOf("u-1", hashFor("kappa", "u-2"));
    const forged = await messagesOf("u-1", hashFor("kappa", "u-1", "0".repeat(64)));
    const ghost = await messagesOf("nobody", "f".repeat(64));
    const missing = await publicCall(`/in-app/messages?key=${keys.publishableKey}&account=kappa&contact=u-1`);
    const bodies: Record<string, unknown>[] = [];
    for (const res of [wrong, forged, ghost, missing]) {
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      // The page must be able to read the error, so CORS headers are on failures too.
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      const { requestId: _r, instance: _i, ...rest } = (await res.json()) as Record<string, unknown>;
      bodies.push(rest);
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);

    // A correct hash for a contact that does not exist (yet) is simply an empty inbox.
    const unknown = await messagesOf("nobody");
    expect(unknown.status).toBe(200);
    expect(await unknown.json()).toEqual({ data: [] });
  });

  it("refuses another contact's message with 404 and accepts credentials in a JSON body", async () => {
    const theirs = await messageRow("u-2");
    const res = await publicCall(`/in-app/messages/${theirs?.id}/clicked`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(credentials("u-1")),
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect((await messageRow("u-2"))?.status).toBe("unseen");

    const preflight = await publicCall(`/in-app/messages/${theirs?.id}/seen`, {
      method: "OPTIONS",
      headers: { "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("records seen and dismissed once however often they are sent, and hides dismissed messages", async () => {
    const theirs = await messageRow("u-2");
    const query = new URLSearchParams(credentials("u-2"));
    for (let i = 0; i < 2; i++) {
      const seen = await publicCall(`/in-app/messages/${theirs?.id}/seen?${query}`, { method: "POST" });
      expect(seen.status).toBe(200);
      expect(((await seen.json()) as InAppMessage).status).toBe("seen");
    }
    const dismissed = await publicCall(`/in-app/messages/${theirs?.id}/dismissed?${query}`, {
      method: "POST",
    });
    expect(((await dismissed.json()) as InAppMessage).status).toBe("dismissed");
    const recorded = await stack.database.db
      .select({ eventId: events.eventId, name: events.name, properties: events.properties })
      .from(events)
      .where(and(eq(events.workspaceId, ws.workspaceId), like(events.eventId, `inapp:${theirs?.id}:%`)));
    expect(recorded.map((e) => [e.eventId, e.name]).sort()).toEqual([
      [`inapp:${theirs?.id}:dismissed`, "message_dismissed"],
      [`inapp:${theirs?.id}:seen`, "message_opened"],
    ]);
    for (const event of recorded) {
      expect(event.properties).toEqual({
        enrollmentId,
        stepId: "nudge",
        messageId: theirs?.id,
        channel: "in_app",
      });
    }
    expect(await (await messagesOf("u-2")).json()).toEqual({ data: [] });
  });
});

describe("in-app widget in Chromium", () => {
  it("shows the banner on a customer's page, and its click moves the journey on", async () => {
    const mine = await messageRow("u-1");
    pageHtml.set(
      "/app",
      `<!doctype html>
<html><head><meta charset="utf-8"><title>Customer app</title>
<style>body { color: rgb(255, 0, 0); font-family: serif; } p, strong, a { color: rgb(0, 128, 0) !important; }</style>
</head><body><h1>Customer app</h1>
<script src="${api.url}/widget.js"></script>
<script>window.shown = Volante.init(${JSON.stringify(credentials("u-1"))});</script>
</body></html>`,
    );
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.route(`${CTA_URL}**`, (route) =>
        route.fulfill({ contentType: "text/html", body: "<h1>Getting started</h1>" }),
      );
      await page.goto(`${pages.url}/app`);
      expect(await page.evaluate("window.shown")).toBe(mine?.id);

      const banner = page.locator("volante-widget .banner");
      expect(await banner.locator(".title").textContent()).toBe("Get your first result this week");
      expect(await banner.locator(".body").textContent()).toContain(`what it can do for ${ACCOUNT_NAME}.`);
      expect(await page.locator("volante-widget img").count()).toBe(0);
      expect(await page.evaluate("typeof window.pwned")).toBe("undefined");
      // The page's CSS stops at the shadow root, in both directions.
      const bodyColor = `getComputedStyle(document.querySelector("volante-widget").shadowRoot.querySelector(".body")).color`;
      expect(await page.evaluate(bodyColor)).toBe("rgb(20, 33, 61)");
      expect(await page.evaluate(`getComputedStyle(document.querySelector("h1")).color`)).toBe(
        "rgb(255, 0, 0)",
      );
      expect(await page.locator("volante-widget").getAttribute("data-state")).toBe("shown");

      await eventually(async () => ((await messageRow("u-1"))?.status === "seen" ? true : undefined), "seen");

      await banner.locator("a.cta").click();
      await page.waitForURL(CTA_URL);
      expect(await page.locator("h1").textContent()).toBe("Getting started");
    } finally {
      await context.close();
    }

    // The widget waits (briefly) for the click to be recorded before it navigates; wait for it here.
    const clicked = await eventually(async () => {
      const row = await messageRow("u-1");
      return row?.status === "clicked" ? row : undefined;
    }, "the click");
    expect(clicked?.seenAt).toBeInstanceOf(Date);
    expect(clicked?.clickedAt).toBeInstanceOf(Date);

    const done = await eventually(async () => {
      const t = await trace(enrollmentId);
      return t.enrollment.status === "completed" ? t : undefined;
    }, "the journey to finish after the click");
    expect(done.trace.find((t) => t.kind === "event_received")).toMatchObject({
      stepId: "await-click",
      detail: { event: "message_clicked" },
    });
    expect(done.trace.map((t) => t.stepId)).toContain("adopt");
    expect(done.trace.map((t) => t.stepId)).not.toContain("call");
    const account = (await (await ws.request("GET", "/v1/accounts/kappa")).json()) as {
      lifecycleStage: string;
    };
    expect(account.lifecycleStage).toBe("adoption");
  });
});

describe("in-app modal", () => {
  it("stores and lists a message as a modal when its template says so", async () => {
    await ws.request("PUT", "/v1/accounts/lambda", {
      name: "Lambda",
      tier: "tech_touch",
      renewalDate: "2027-06-30",
    });
    await ws.request("PUT", "/v1/accounts/lambda/contacts/admin", {
      email: "admin@lambda.example",
      role: "admin",
    });
    const modal = {
      name: "Renewal check",
      trigger: { type: "manual" },
      steps: [{ id: "check", type: "in_app", template: "renewal-check-details", to: "role:admin" }],
    };
    expect((await ws.request("PUT", "/v1/journeys/renewal-check", modal)).status).toBeLessThan(300);
    expect((await ws.request("POST", "/v1/journeys/renewal-check/publish")).status).toBe(201);
    expect(
      (await ws.request("POST", "/v1/enrollments", { journey: "renewal-check", account: "lambda" })).status,
    ).toBe(201);
    const hash = hashFor("lambda", "admin");
    const listed = await eventually(async () => {
      const res = await publicCall(
        `/in-app/messages?${new URLSearchParams({ key: keys.publishableKey, account: "lambda", contact: "admin", hash })}`,
      );
      const { data } = (await res.json()) as { data: InAppMessage[] };
      return data[0];
    }, "the modal message");
    expect(listed).toMatchObject({
      style: "modal",
      title: "Your renewal is coming up",
      ctaLabel: "Review details",
    });
  });
});
