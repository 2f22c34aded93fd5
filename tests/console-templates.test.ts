import { mkdir, readdir, readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "./browser";
import {
  addPerson,
  closeBrowserSuite,
  formPoster,
  PASSWORD,
  pageOpener,
  SCREENSHOTS,
  serveOnLoopback,
  sessionCookie,
  shot,
} from "./console-harness";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "./harness";

/**
 * The templates pages (issue 18 item 4): through `app.request` for access and content, and in real
 * Chromium as CS Ops use them. Screenshots go to .volante/screenshots/.
 */

let stack: TestStack;
let ws: TestWorkspace;
let other: TestWorkspace;
let browser: Browser;
let server: Server;
let url: string;
const cookies: Record<string, string> = {};

const post = formPoster(() => stack.app);
const get = (path: string, cookie?: string) => stack.app.request(path, { headers: cookie ? { cookie } : {} });

const signIn = (email: string) => sessionCookie(stack.app, email);

/** The dev outbox's messages of a workspace, as raw MIME. */
async function outbox(workspaceId: string): Promise<string[]> {
  const dir = join(stack.deps.outboxDir, workspaceId);
  const files = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(files.map((f) => readFile(join(dir, f), "utf8")));
}

// Only the console's own pages count: the preview frame has its own, stricter policy.
const pages = pageOpener(
  () => browser,
  (source) => source.includes("/preview"),
);
const newPage = pages.open;
const cspViolations = pages.cspViolations;

beforeAll(async () => {
  const launching = launchBrowser();
  await mkdir(SCREENSHOTS, { recursive: true });
  stack = await startTestStack();
  ws = await stack.newWorkspace("Letters Co");
  other = await stack.newWorkspace("Elsewhere");
  for (const [email, role] of [
    ["olga@letters.example", "cs_ops"],
    ["vera@letters.example", "viewer"],
    ["carl@letters.example", "admin"],
  ] as const) {
    await addPerson(stack, ws.workspaceId, email, role);
    cookies[role] = await signIn(email);
  }
  await addPerson(stack, other.workspaceId, "oscar@elsewhere.example", "admin", "Oscar");
  cookies.other = await signIn("oscar@elsewhere.example");
  ({ server, url } = await serveOnLoopback(stack.app));
  browser = await launching;
}, 120_000);

afterAll(() => closeBrowserSuite({ browser, server, stack }));

describe("templates pages", () => {
  it("sends a signed-out visitor to sign in, and lets a viewer read but neither save nor send", async () => {
    for (const path of ["/app/templates", "/app/templates/onboarding-welcome"]) {
      const res = await get(path);
      expect(res.status, path).toBe(302);
      expect(res.headers.get("location")).toBe("/app/sign-in");
    }
    const list = await get("/app/templates", cookies.viewer);
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).toContain('href="/app/templates/onboarding-welcome"');
    expect(html).toContain("Shipped");
    const one = await (await get("/app/templates/onboarding-welcome", cookies.viewer)).text();
    expect(one).toContain("Welcome to {{workspace.name}}: your first three steps");
    expect(one).not.toContain("Send a test to me");
    const viewer = cookies.viewer as string;
    const fields = { locale: "en", subject: "Hello", body: "<p>Hi</p>" };
    expect((await post("/app/templates/onboarding-welcome", fields, viewer)).status).toBe(403);
    expect((await post("/app/templates/onboarding-welcome/test", { locale: "en" }, viewer)).status).toBe(403);
  });

  it("shows shipped templates to every workspace and a workspace's own to it alone", async () => {
    const own = {
      channel: "email",
      category: "renewal",
      subject: "Our own",
      body: "<p>Own {{account.name}}</p>",
    };
    expect((await ws.request("PUT", "/v1/templates/letters-own", own)).status).toBe(201);
    const list = await (await get("/app/templates", cookies.viewer)).text();
    expect(list).toContain('href="/app/templates/letters-own"');
    expect(list).toContain("Your workspace&#39;s");
    expect(list).not.toContain("Shipped, changed here");
    expect((await get("/app/templates/letters-own", cookies.other)).status).toBe(404);
    expect((await get("/app/templates/letters-own/preview?locale=en", cookies.other)).status).toBe(404);
    expect(
      (
        await post(
          "/app/templates/letters-own",
          { locale: "en", subject: "x", body: "y" },
          cookies.other as string,
        )
      ).status,
    ).toBe(404);
    expect((await get("/app/templates/onboarding-welcome", cookies.other)).status).toBe(200);
    expect(await (await get("/app/templates", cookies.other)).text()).not.toContain("letters-own");
    // Unknown languages and keys are ignored or answered 404, never a 500.
    expect((await get("/app/templates/letters-own?locale=%%%", cookies.viewer)).status).toBe(200);
    expect((await get("/app/templates/no-such-template", cookies.viewer)).status).toBe(404);
    expect((await get("/app/templates/letters-own/preview?locale=zz-!!", cookies.viewer)).status).toBe(200);
  });

  it("refuses a bad template at its field keeping what was typed, and saves a good one", async () => {
    const cookie = cookies.cs_ops as string;
    const bad = await post(
      "/app/templates/onboarding-check-in",
      {
        locale: "en",
        subject: "Checking {{log 'x'}}",
        body: '<p><a href="javascript:alert(1)">typed here</a></p>',
      },
      cookie,
    );
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('id="subject-problems"');
    expect(html).toContain('id="body-problems"');
    expect(html).toContain("javascript:alert(1)");
    expect(html).toContain("typed here");
    expect(html).toContain("Not saved");
    const good = await post(
      "/app/templates/onboarding-check-in",
      {
        locale: "ja",
        subject: "確認 {{account.name}}",
        body: "<p>{{account.name}} 様、いかがでしょうか。</p>",
      },
      cookie,
    );
    expect(good.status).toBe(303);
    expect(good.headers.get("location")).toBe("/app/templates/onboarding-check-in?locale=ja&done=saved");
    const page = await (await get("/app/templates/onboarding-check-in?locale=ja", cookie)).text();
    expect(page).toContain("確認 {{account.name}}");
    const saved = (await (await ws.request("GET", "/v1/templates/onboarding-check-in")).json()) as {
      locale: string;
      subject: string;
    }[];
    expect(saved.find((r) => r.locale === "ja")?.subject).toBe("確認 {{account.name}}");
    const list = await (await get("/app/templates", cookie)).text();
    expect(list).toMatch(/onboarding-check-in<\/a>[\s\S]*?Shipped, changed here/);
  });

  it("serves the preview frame with its own sandbox policy and lists the variables left empty", async () => {
    const res = await get("/app/templates/onboarding-welcome/preview?locale=en", cookies.viewer);
    expect(res.status).toBe(200);
    const policy = res.headers.get("content-security-policy") ?? "";
    expect(policy).toContain("sandbox");
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("frame-ancestors 'self'");
    expect(policy).not.toContain("script-src");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(await res.text()).toContain("Acme KK");
    // The console's pages keep theirs.
    const console = await get("/app/templates/onboarding-welcome", cookies.viewer);
    expect(console.headers.get("x-frame-options")).toBe("DENY");
    expect(console.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");

    const draft = await post(
      "/app/templates/onboarding-welcome/preview",
      { locale: "en", subject: "Hi {{contact.firstName}}", body: "<p>Hello {{account.attributes.plan}}</p>" },
      cookies.cs_ops as string,
      { htmx: true },
    );
    expect(draft.status).toBe(200);
    const fragment = await draft.text();
    expect(fragment).not.toContain("<html");
    expect(fragment).toContain("Left empty:");
    expect(fragment).toContain("{{account.attributes.plan}}");
    const src = /<iframe[^>]*src="([^"]+)"/.exec(fragment)?.[1]?.replaceAll("&amp;", "&") ?? "";
    expect(src).toContain("draft=");
    const frame = await get(src, cookies.cs_ops);
    expect(frame.status).toBe(200);
    expect(await frame.text()).toContain("Hello ");
    expect(frame.headers.get("content-security-policy")).toContain("sandbox");
    // Another person cannot open that draft.
    expect((await get(src, cookies.viewer)).status).toBe(404);

    // Without script, "Preview changes" answers the whole page with what was typed and its frame.
    const whole = await post(
      "/app/templates/onboarding-welcome/preview",
      { locale: "ja", subject: "件名のテスト", body: "<p>本文のテスト {{contact.firstName}}</p>" },
      cookies.cs_ops as string,
    );
    expect(whole.status).toBe(200);
    const page = await whole.text();
    expect(page).toContain("<html");
    expect(page).toContain('value="件名のテスト"');
    expect(page).toContain("本文のテスト");
    expect(page).toMatch(/<iframe sandbox="" src="[^"]*draft=/);
    // An in-app template previews too, without a subject.
    const inApp = await get("/app/templates/invite-your-team", cookies.viewer);
    expect(inApp.status).toBe(200);
    expect(await inApp.text()).not.toContain('id="subject"');
    expect((await get("/app/templates/invite-your-team/preview?locale=ja", cookies.viewer)).status).toBe(200);
  });

  it("sends a test to the signed-in person into the outbox, at most ten a minute", async () => {
    const cookie = cookies.cs_ops as string;
    const res = await post("/app/templates/onboarding-welcome/test", { locale: "en" }, cookie, {
      htmx: true,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Test sent to olga@letters.example");
    const mail = await eventually(
      async () => (await outbox(ws.workspaceId)).find((m) => m.includes("[Test]")),
      "the test in the outbox",
    );
    expect(mail).toContain("olga@letters.example");
    let limited: Response | undefined;
    for (let i = 0; i < 11 && !limited; i++) {
      const again = await post(
        "/app/templates/onboarding-welcome/test",
        { locale: "en" },
        cookies.admin as string,
      );
      if (again.status === 429) limited = again;
    }
    const inApp = await post("/app/templates/invite-your-team/test", { locale: "en" }, cookie);
    expect(inApp.status).toBe(422);
    expect(await inApp.text()).toContain("In-app messages are not sent by email.");
    expect(limited?.status).toBe(429);
    expect(await limited?.text()).toContain("Too many tests");
  });

  it("is used in Chromium: edit the English subject with a live preview, save, send a test, then read it in Japanese", async () => {
    const page = await newPage();
    await page.goto(`${url}/app/sign-in`);
    await page.getByLabel("Email").fill("olga@letters.example");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "Templates" }).click();
    await page.getByRole("heading", { name: "Templates", level: 1 }).waitFor();
    await shot(page, "templates-en");
    await page.getByRole("link", { name: "onboarding-welcome" }).click();
    await page.getByRole("heading", { name: "onboarding-welcome", level: 1 }).waitFor();
    const frame = page.locator("iframe.preview-frame");
    const firstSrc = await frame.getAttribute("src");
    await page.getByLabel("Subject").fill("Welcome aboard, {{contact.firstName}}");
    await eventually(async () => {
      const src = await frame.getAttribute("src");
      return src !== firstSrc && src?.includes("draft=") ? src : undefined;
    }, "the preview frame showing the draft");
    await page.locator(".preview-subject").filter({ hasText: "Welcome aboard, Taro" }).waitFor();
    await page.frameLocator("iframe.preview-frame").getByText("Acme KK").first().waitFor();
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    expect(await page.getByLabel("Subject").inputValue()).toBe("Welcome aboard, {{contact.firstName}}");
    await page.getByRole("button", { name: "Send a test to me" }).click();
    await page.getByRole("status").filter({ hasText: "Test sent to olga@letters.example" }).waitFor();
    await eventually(
      async () => (await outbox(ws.workspaceId)).find((m) => m.includes("Welcome aboard, Taro")),
      "the saved subject's test in the outbox",
    );
    await shot(page, "template-en");

    await page.getByLabel("Language", { exact: true }).selectOption("ja");
    await page.getByRole("button", { name: "Change language" }).click();
    await page.getByRole("heading", { name: "プレビュー" }).waitFor();
    await page.getByRole("link", { name: "日本語" }).click();
    await page.getByLabel("件名").waitFor();
    expect(await page.getByLabel("本文").inputValue()).toContain("カスタマーサクセスチーム");
    await page.frameLocator("iframe.preview-frame").getByText("Acme KK").first().waitFor();
    await shot(page, "template-ja");
    await page.getByRole("link", { name: "テンプレート", exact: true }).click();
    await page.getByRole("columnheader", { name: "最終更新" }).waitFor();
    await shot(page, "templates-ja");

    const tablet = await newPage("en-US", { width: 768, height: 1024 });
    await tablet.goto(`${url}/app/sign-in`);
    await tablet.getByLabel("Email").fill("vera@letters.example");
    await tablet.getByLabel("Password").fill(PASSWORD);
    await tablet.getByRole("button", { name: "Sign in" }).click();
    await tablet.getByRole("navigation").first().waitFor();
    await tablet.goto(`${url}/app/templates/onboarding-welcome`);
    await tablet.frameLocator("iframe.preview-frame").getByText("Acme KK").first().waitFor();
    // A frame below the fold is painted once it has been in view (Chromium draws it out of process).
    await tablet.locator("iframe.preview-frame").scrollIntoViewIfNeeded();
    await shot(tablet, "template-tablet");
    expect(cspViolations).toEqual([]);
  }, 180_000);
});
