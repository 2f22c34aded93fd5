import { mkdir, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { eq } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { touches } from "../db/schema";
import { launchBrowser } from "./browser";
import {
  addPerson,
  closeBrowserSuite,
  LAPTOP,
  PASSWORD,
  pageOpener,
  SCREENSHOTS,
  serveOnLoopback,
  sessionCookie,
  shot,
  signInWithForm,
  TABLET,
} from "./console-harness";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "./harness";

/**
 * The trace viewer: one enrollment's timeline (branch facts, touches and why) and each touch's
 * message as sent, on the stack's Temporal worker with the dev outbox; route tests and Chromium.
 */

const SUBJECT = "Welcome aboard, Acme KK";

type Trace = {
  enrollment: { id: string; status: string };
  trace: { kind: string; stepId: string | null; detail: Record<string, unknown> }[];
};

let stack: TestStack;
let ws: TestWorkspace;
let other: TestWorkspace;
let browser: Browser;
let server: Server;
let url: string;
/** Acme's enrollment in the welcome journey, completed: a branch, then an email sent to its admin. */
let enrollmentId: string;
let touchKey: string;

async function enroll(w: TestWorkspace, account: string): Promise<Trace> {
  const res = await w.request("POST", "/v1/enrollments", { journey: "welcome", account });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  return eventually(async () => {
    const t = (await (await w.request("GET", `/v1/enrollments/${id}/trace`)).json()) as Trace;
    return t.enrollment.status === "completed" ? t : undefined;
  }, `enrollment ${id} to complete`);
}

async function setUp(w: TestWorkspace) {
  const template = await w.request("PUT", "/v1/templates/trace-welcome", {
    channel: "email",
    category: "onboarding",
    subject: "Welcome aboard, {{account.name}}",
    body: "<p>Hello {{contact.name}}, here is how to start.</p>",
  });
  expect(template.status, await template.clone().text()).toBe(201);
  const journey = await w.request("PUT", "/v1/journeys/welcome", {
    name: "Welcome",
    trigger: { type: "manual" },
    steps: [
      {
        id: "which",
        type: "branch",
        if: { fact: "tier", op: "eq", value: "tech_touch" },
        then: "mail",
        else: "mail",
      },
      { id: "mail", type: "email", template: "trace-welcome", to: "role:admin" },
    ],
  });
  expect(journey.status, await journey.clone().text()).toBeLessThan(300);
  expect((await w.request("POST", "/v1/journeys/welcome/publish")).status).toBe(201);
  await w.request("PUT", "/v1/accounts/acme", { name: "Acme KK", tier: "tech_touch" });
  await w.request("PUT", "/v1/accounts/acme/contacts/ann", {
    email: "ann@acme.example",
    name: "Ann Abe",
    role: "admin",
  });
}

function signedInRequest(cookie: string) {
  return (path: string) => stack.app.request(path, { headers: { cookie } });
}

beforeAll(async () => {
  const launching = launchBrowser();
  await mkdir(SCREENSHOTS, { recursive: true });
  stack = await startTestStack();
  ws = await stack.newWorkspace("Kappa Cloud CS");
  other = await stack.newWorkspace("Other Co");
  for (const [email, name, role] of [
    ["vic@trace.example", "Vic Viewer", "viewer"],
    ["cara@trace.example", "Cara Sato", "csm"],
  ] as const) {
    await addPerson(stack, ws.workspaceId, email, role, name);
  }
  await setUp(ws);
  const done = await enroll(ws, "acme");
  enrollmentId = done.enrollment.id;
  touchKey = String(done.trace.find((e) => e.kind === "sent")?.detail.touchKey);
  ({ server, url } = await serveOnLoopback(stack.app));
  browser = await launching;
}, 120_000);

afterAll(() => closeBrowserSuite({ browser, server, stack }));

describe("the trace viewer's routes", () => {
  it("sends a signed-out person to sign in, for the trace, the message and its frame", async () => {
    for (const path of [
      `/app/enrollments/${enrollmentId}`,
      `/app/enrollments/${enrollmentId}/touches/${encodeURIComponent(touchKey)}`,
      `/app/enrollments/${enrollmentId}/touches/${encodeURIComponent(touchKey)}/frame`,
    ]) {
      const res = await stack.app.request(path);
      expect(res.status, path).toBe(302);
      expect(res.headers.get("location"), path).toContain("/app/sign-in");
    }
  });

  it("shows a viewer the branch's facts and the touch, with a link to the message", async () => {
    const get = signedInRequest(await sessionCookie(stack.app, "vic@trace.example"));
    const res = await get(`/app/enrollments/${enrollmentId}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Facts the condition read");
    expect(html).toContain("tier");
    expect(html).toContain("&quot;tech_touch&quot;");
    expect(html).toContain("ann@acme.example");
    expect(html).toContain(`/app/enrollments/${enrollmentId}/touches/${encodeURIComponent(touchKey)}`);
    expect(html).toContain("View the message");
  });

  it("shows the message exactly as the outbox kept it, and serves its HTML under the frame's own policy", async () => {
    const get = signedInRequest(await sessionCookie(stack.app, "vic@trace.example"));
    const base = `/app/enrollments/${enrollmentId}/touches/${encodeURIComponent(touchKey)}`;
    const res = await get(base);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(SUBJECT);
    expect(html).toContain("ann@acme.example");
    expect(html).toContain("Exactly as sent");
    expect(html).toMatch(/Message-ID/);
    expect(html).toContain(`<iframe class="trace-message-frame"`);
    const frame = await get(`${base}/frame`);
    expect(frame.status).toBe(200);
    expect(frame.headers.get("content-security-policy")).toBe(
      "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; frame-ancestors 'self'",
    );
    expect(frame.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    const sent = await frame.text();
    expect(sent).toContain("Hello Ann Abe, here is how to start.");
    // Reading the message in the console is not the contact opening it: no open-tracking pixel.
    expect(sent).not.toContain("/t/o/");
  });

  it("renders the template again, and says so, when the sent message was not stored", async () => {
    await ws.request("PUT", "/v1/accounts/cleo", { name: "Cleo Labs", tier: "tech_touch" });
    await ws.request("PUT", "/v1/accounts/cleo/contacts/cy", {
      email: "cy@cleo.example",
      name: "Cy Cho",
      role: "admin",
    });
    const done = await enroll(ws, "cleo");
    const [row] = await stack.database.db
      .select()
      .from(touches)
      .where(eq(touches.enrollmentId, done.enrollment.id));
    // As over SMTP: no outbox file names the message.
    const files = (row?.delivery as { files?: string[] } | undefined)?.files ?? [];
    expect(files.length).toBe(1);
    for (const file of files) await rm(file);
    const get = signedInRequest(await sessionCookie(stack.app, "vic@trace.example"));
    const base = `/app/enrollments/${done.enrollment.id}/touches/${encodeURIComponent(String(row?.touchKey))}`;
    const html = await (await get(base)).text();
    expect(html).toContain("Rendered again now; the sent message was not stored.");
    expect(html).toContain("Welcome aboard, Cleo Labs");
    expect(html).toContain("cy@cleo.example");
    const frame = await get(`${base}/frame`);
    expect(frame.status).toBe(200);
    expect(frame.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(await frame.text()).toContain("Hello Cy Cho, here is how to start.");
  });

  it("answers 404 for another workspace's enrollment or touch, another enrollment's touch, and nonsense ids", async () => {
    await setUp(other);
    const theirs = await enroll(other, "acme");
    const theirKey = String(theirs.trace.find((e) => e.kind === "sent")?.detail.touchKey);
    await ws.request("PUT", "/v1/accounts/bolt", { name: "Bolt Systems", tier: "tech_touch" });
    await ws.request("PUT", "/v1/accounts/bolt/contacts/bo", { email: "bo@bolt.example", role: "admin" });
    const mine = await enroll(ws, "bolt");
    const get = signedInRequest(await sessionCookie(stack.app, "cara@trace.example"));
    const id = theirs.enrollment.id;
    for (const path of [
      `/app/enrollments/${id}`,
      `/app/enrollments/${id}/touches/${encodeURIComponent(theirKey)}`,
      `/app/enrollments/${id}/touches/${encodeURIComponent(theirKey)}/frame`,
      `/app/enrollments/not-a-uuid/touches/x`,
      `/app/enrollments/${enrollmentId}/touches/no-such-touch`,
      `/app/enrollments/${enrollmentId}/touches/no-such-touch/frame`,
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
    }
    // The same key names another enrollment's touch: it is found only under its own enrollment.
    const mineKey = String(mine.trace.find((e) => e.kind === "sent")?.detail.touchKey);
    const touchOfMine = await get(
      `/app/enrollments/${mine.enrollment.id}/touches/${encodeURIComponent(mineKey)}`,
    );
    expect(touchOfMine.status).toBe(200);
    const [row] = await stack.database.db
      .select({ id: touches.id })
      .from(touches)
      .where(eq(touches.enrollmentId, mine.enrollment.id));
    expect((await get(`/app/enrollments/${mine.enrollment.id}/touches/${row?.id}`)).status).toBe(200);
    expect((await get(`/app/enrollments/${enrollmentId}/touches/${row?.id}`)).status).toBe(404);
  });
});

const pages = pageOpener(() => browser);
const newPage = (viewport = LAPTOP, locale = "en-US") => pages.open(locale, viewport);
const cspViolations = pages.cspViolations;

/** A screenshot for review, and axe-core's check of the same page: no serious or critical violation. */

const signIn = (page: Page, email: string, words?: Parameters<typeof signInWithForm>[4]) =>
  signInWithForm(page, url, email, PASSWORD, words);

describe("the trace viewer in Chromium", () => {
  it("leads from the account to its enrollment's trace, to the touch, to the message as sent", async () => {
    const page = await newPage();
    await signIn(page, "vic@trace.example");
    await page.goto(`${url}/app/accounts/acme`);
    await page.getByRole("link", { name: "welcome" }).first().click();
    await page.getByRole("heading", { name: "Trace", level: 2 }).waitFor();
    const touch = page.getByRole("listitem").filter({ hasText: "Touch sent" });
    expect(await touch.textContent()).toContain("ann@acme.example");
    const branch = page.getByRole("listitem").filter({ hasText: "Branch taken" });
    expect(await branch.getByRole("table", { name: "Facts the condition read" }).textContent()).toContain(
      "tier",
    );
    await shot(page, "trace-touch-en");
    await touch.getByRole("link", { name: "View the message" }).press("Enter");
    await page.getByRole("heading", { name: "Message", level: 2 }).waitFor();
    expect(await page.locator("main").textContent()).toContain(SUBJECT);
    const frame = page.frameLocator('iframe[title="The message as sent"]');
    await frame.getByText("Hello Ann Abe, here is how to start.").waitFor();
    // Chromium paints a sandboxed (out-of-process) frame once it has been in view.
    await page.locator('iframe[title="The message as sent"]').scrollIntoViewIfNeeded();
    await shot(page, "trace-message-en");
  });

  it("reads in Japanese on a tablet", async () => {
    const page = await newPage(TABLET, "ja-JP");
    await signIn(page, "vic@trace.example", {
      email: "メールアドレス",
      password: "パスワード",
      go: "サインイン",
    });
    await page.goto(`${url}/app/enrollments/${enrollmentId}`);
    await page.getByRole("heading", { name: "トレース", level: 2 }).waitFor();
    expect(await page.getByRole("table", { name: "条件が参照した事実" }).count()).toBe(1);
    await shot(page, "trace-ja");
    await page.getByRole("link", { name: "メッセージを見る" }).click();
    await page.getByRole("heading", { name: "メッセージ", level: 2 }).waitFor();
    await shot(page, "trace-message-ja");
  });

  it("reported no Content-Security-Policy violation on any console page", () => {
    expect(cspViolations).toEqual([]);
  });
});
