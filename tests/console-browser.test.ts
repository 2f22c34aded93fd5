import { mkdir, readdir, readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "./browser";
import {
  addPerson,
  closeBrowserSuite,
  PASSWORD,
  pageOpener,
  SCREENSHOTS,
  serveOnLoopback,
  shot,
} from "./console-harness";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "./harness";
import { seedAccounts, seedCsm, seedEscalations } from "./home-seed";

/** The console in real Chromium: one browser, one stack, one server for the file. Screenshots go to .volante/screenshots/. */

let stack: TestStack;
let ws: TestWorkspace;
let browser: Browser;
let server: Server;
let url: string;
/** The little of the DOM these tests read inside the page (the tests compile without the DOM's types). */
type Browsing = {
  document: {
    activeElement: { textContent: string | null } | null;
    documentElement: { scrollWidth: number };
  };
};
/** What the pages said about Content-Security-Policy violations (there must be none). */

const pages = pageOpener(() => browser);
const newPage = pages.open;
const cspViolations = pages.cspViolations;

/** A screenshot for review, and axe-core's check of the same page: no serious or critical violation. */

beforeAll(async () => {
  const launching = launchBrowser();
  await mkdir(SCREENSHOTS, { recursive: true });
  stack = await startTestStack();
  ws = await stack.newWorkspace("Kappa Cloud CS");
  await addPerson(stack, ws.workspaceId, "ada@kappa.example", "admin", "Ada Admin");
  await addPerson(stack, ws.workspaceId, "cal@kappa.example", "csm", "Cal Csm");
  // A workspace with a history, so Home has something to show (and the screenshots look real).
  const now = new Date();
  await seedAccounts(stack, ws, now);
  await seedEscalations(stack, ws, now, [
    {
      account: "acme",
      assignee: "cal@kappa.example",
      reason: "Champion left",
      priority: "urgent",
      dueInHours: -5,
    },
    {
      account: "nami",
      assignee: "cal@kappa.example",
      reason: "Usage dropped 40%",
      priority: "high",
      dueInHours: 6,
    },
    {
      account: "hoshi",
      assignee: "cal@kappa.example",
      reason: "Renewal at risk",
      priority: "medium",
      dueInHours: 50,
    },
    {
      account: "kumo",
      assignee: "ben@kappa.example",
      reason: "Asked for a call",
      priority: "low",
      dueInHours: 3,
    },
    { account: "sora", assignee: null, reason: "No login in 30 days", priority: "medium", dueInHours: 30 },
  ]);
  await seedCsm(stack, ws, "cal@kappa.example", "Asia/Tokyo");
  ({ server, url } = await serveOnLoopback(stack.app));
  browser = await launching;
}, 120_000);

afterAll(() => closeBrowserSuite({ browser, server, stack }));

describe("console in Chromium", () => {
  it("signs in through the labelled fields, switches to Japanese, manages people in place and signs out", async () => {
    const page = await newPage();
    await page.goto(`${url}/`);
    expect(new URL(page.url()).pathname).toBe("/app/sign-in");
    await shot(page, "sign-in-en");
    await page.getByLabel("Email").fill("ada@kappa.example");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Home", level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/app");
    const main = page.getByRole("main");
    for (const name of [
      "Open escalations by deadline",
      "Accounts by health band",
      "Renewals in the next 120 days",
      "Revenue retention by quarter",
    ])
      await main.getByRole("heading", { name, level: 2 }).waitFor();
    const renewals = main.getByRole("region", { name: "Renewals in the next 120 days" });
    expect(await renewals.getByRole("row", { name: /Acme Logistics/ }).textContent()).toContain("240,000");
    await page.locator('canvas[data-drawn="true"]').waitFor();
    expect(await page.getByRole("img", { name: /GRR and NRR/ }).count()).toBe(1);
    expect(await page.getByRole("banner").textContent()).toContain("Kappa Cloud CS");
    await shot(page, "home-en");

    await page.getByLabel("Language").selectOption("ja");
    await page.getByRole("button", { name: "Change language" }).click();
    await page.getByRole("heading", { name: "ホーム", level: 1 }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("ja");
    for (const name of [
      "未解決のエスカレーション(期限順)",
      "ヘルスバンド別のアカウント",
      "今後 120 日以内の更新",
      "四半期ごとの収益維持率",
    ])
      await main.getByRole("heading", { name, level: 2 }).waitFor();
    await page.locator('canvas[data-drawn="true"]').waitFor();
    // A band links to the accounts in it, by keyboard too.
    const red = main.getByRole("link", { name: "赤" });
    expect(await red.getAttribute("href")).toBe("/app/accounts?band=red");
    await red.focus();
    expect(
      await page.evaluate(() => (globalThis as unknown as Browsing).document.activeElement?.textContent),
    ).toBe("赤");
    await shot(page, "home-ja");

    await page.getByRole("link", { name: "メンバー" }).click();
    await page.getByRole("heading", { name: "メンバー", level: 1 }).waitFor();
    await page.getByLabel("名前").fill("Ivy Ito");
    await page.getByLabel("メールアドレス").fill("ivy@kappa.example");
    await page.getByLabel("ロール", { exact: true }).selectOption("csm");
    await page.getByRole("button", { name: "招待を送信" }).click();
    await page.getByRole("status").filter({ hasText: "ivy@kappa.example" }).waitFor();

    // htmx swaps the row in place: the page is not reloaded (a marker on window survives).
    await page.evaluate(() => Object.assign(globalThis, { stillHere: true }));
    await page.getByLabel("ロール: Ivy Ito").selectOption("cs_ops");
    await page
      .getByRole("row", { name: /Ivy Ito/ })
      .getByRole("button", { name: "保存" })
      .click();
    await eventually(async () => {
      const users = (await (await ws.request("GET", "/v1/users")).json()) as {
        data: { email: string; role: string }[];
      };
      return users.data.find((u) => u.email === "ivy@kappa.example" && u.role === "cs_ops");
    }, "Ivy's new role");
    await page.getByRole("row", { name: /Ivy Ito/ }).waitFor();
    expect(await page.evaluate(() => (globalThis as { stillHere?: boolean }).stillHere)).toBe(true);
    expect(await page.getByLabel("ロール: Ivy Ito").inputValue()).toBe("cs_ops");
    await shot(page, "users-ja");

    await page.getByRole("button", { name: "サインアウト", exact: true }).click();
    await page.getByRole("heading", { name: "サインイン" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/app/sign-in");
    // Signed out: the console sends the visitor back to sign in.
    await page.goto(`${url}/app`);
    expect(new URL(page.url()).pathname).toBe("/app/sign-in");
    expect(cspViolations).toEqual([]);
  }, 120_000);

  it("lets an invited person set a password through the mailed link and sign in", async () => {
    const dir = join(stack.deps.outboxDir, ws.workspaceId);
    const file = await eventually(
      async () => (await readdir(dir).catch(() => [])).find((f) => f.startsWith("invitation-")),
      "the invitation in the outbox",
    );
    const mail = await simpleParser(await readFile(join(dir, file)));
    const link = /https?:\/\/\S+\/app\/set-password\?token=[\w-]+/.exec(mail.text ?? "")?.[0];
    expect(link).toBeDefined();
    // The stack's public URL is a placeholder; the path and token are what the link carries.
    const target = new URL(link as string);
    const page = await newPage();
    await page.goto(`${url}${target.pathname}${target.search}`);
    await page.getByLabel("New password").fill(PASSWORD);
    await shot(page, "set-password-en");
    await page.getByRole("button", { name: "Set password" }).click();
    await page.getByRole("status").filter({ hasText: "Your password is set" }).waitFor();
    await page.getByLabel("Email").fill("ivy@kappa.example");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Home", level: 1 }).waitFor();
    await page.getByRole("heading", { name: "Open escalations by deadline" }).waitFor();
    // Not an admin: no People in the navigation.
    expect(await page.getByRole("link", { name: "People" }).count()).toBe(0);
    await shot(page, "home-cs-ops-en");
    // The link was used up.
    await page.goto(`${url}${target.pathname}${target.search}`);
    expect(await page.getByRole("alert").textContent()).toContain("expired or was already used");
    expect(cspViolations).toEqual([]);
  }, 120_000);

  it("shows a CSM their own escalations by deadline on a tablet, in their CSM time zone", async () => {
    const page = await newPage("en-US", { width: 768, height: 1024 });
    await page.goto(`${url}/app/sign-in`);
    await page.getByLabel("Email").fill("cal@kappa.example");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    const mine = page.getByRole("region", { name: "Your open escalations by deadline" });
    await mine.waitFor();
    const rows = mine.getByRole("row");
    expect(await rows.count()).toBe(4);
    expect(await rows.nth(1).textContent()).toContain("Champion left");
    expect(await rows.nth(1).textContent()).toContain("Breached");
    expect(await rows.nth(3).textContent()).toContain("Renewal at risk");
    expect(await mine.textContent()).toContain("Asia/Tokyo");
    expect(await mine.textContent()).not.toContain("Asked for a call");
    await page.locator('canvas[data-drawn="true"]').waitFor();
    // Nothing wider than the tablet: no sideways scrolling.
    expect(
      await page.evaluate(() => (globalThis as unknown as Browsing).document.documentElement.scrollWidth),
    ).toBeLessThanOrEqual(768);
    await shot(page, "home-tablet");
    expect(cspViolations).toEqual([]);
  }, 120_000);
});
