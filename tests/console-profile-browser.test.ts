import { mkdir, readdir, readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import type { Browser, Page } from "playwright-core";
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
  signInWithForm,
  TABLET,
} from "./console-harness";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "./harness";

/** The profile and the password reset in real Chromium, as a CSM uses them. Screenshots go to .volante/screenshots/. */

const CHANGED = "a changed passphrase";
const RESET = "the passphrase after reset";

let stack: TestStack;
let ws: TestWorkspace;
let browser: Browser;
let server: Server;
let url: string;
/** What the pages said about Content-Security-Policy violations (there must be none). */

const pages = pageOpener(() => browser);
const newPage = pages.open;
const cspViolations = pages.cspViolations;

/** A screenshot for review, and axe-core's check of the same page: no serious or critical violation. */

const signIn = (page: Page, email: string, password: string) => signInWithForm(page, url, email, password);

type CsmRow = { email: string; timezone: string | null; locale: string | null };

beforeAll(async () => {
  const launching = launchBrowser();
  await mkdir(SCREENSHOTS, { recursive: true });
  stack = await startTestStack();
  ws = await stack.newWorkspace("Kappa Cloud CS");
  await addPerson(stack, ws.workspaceId, "cleo@kappa.example", "csm", "Cleo CSM");
  expect((await ws.request("PUT", "/v1/csms/cleo@kappa.example", { name: "Cleo CSM" })).status).toBe(200);
  ({ server, url } = await serveOnLoopback(stack.app));
  browser = await launching;
}, 120_000);

afterAll(() => closeBrowserSuite({ browser, server, stack }));

describe("profile and password reset in Chromium", () => {
  it("changes a CSM's time zone, language and password from the profile, then signs out", async () => {
    const page = await newPage();
    await signIn(page, "cleo@kappa.example", PASSWORD);
    await page.getByRole("link", { name: "Your profile" }).click();
    await page.getByRole("heading", { name: "Your profile", level: 1 }).waitFor();
    const main = page.getByRole("main");
    expect(await main.textContent()).toContain("cleo@kappa.example");
    expect(await main.textContent()).toContain("Kappa Cloud CS");
    await shot(page, "profile-en");

    // The time zone and email language go to the CSM record, swapped in place by htmx.
    await page.evaluate(() => Object.assign(globalThis, { stillHere: true }));
    await page.getByLabel("Time zone").selectOption("Asia/Tokyo");
    await page.getByLabel("Email language").selectOption("ja");
    await page.getByRole("button", { name: "Save email settings" }).click();
    await page.getByRole("status").filter({ hasText: "escalation email settings are saved" }).waitFor();
    expect(await page.evaluate(() => (globalThis as { stillHere?: boolean }).stillHere)).toBe(true);
    const csms = (await (await ws.request("GET", "/v1/csms")).json()) as { data: CsmRow[] };
    expect(csms.data.find((c) => c.email === "cleo@kappa.example")).toMatchObject({
      timezone: "Asia/Tokyo",
      locale: "ja",
    });
    expect(await page.getByLabel("Time zone").inputValue()).toBe("Asia/Tokyo");

    // The console language: the whole page comes back in Japanese.
    await page.getByLabel("Console language").selectOption("ja");
    await page.getByRole("button", { name: "Save profile" }).click();
    await page.getByRole("heading", { name: "プロフィール", level: 1 }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("ja");
    await page.getByRole("status").filter({ hasText: "プロフィールを保存しました" }).waitFor();
    await shot(page, "profile-ja");

    // The password, by keyboard: Enter in the last field submits.
    await page.getByLabel("現在のパスワード").fill("not the password");
    await page.getByLabel("新しいパスワード").fill(CHANGED);
    await page.getByLabel("新しいパスワード").press("Enter");
    await page.getByRole("alert").filter({ hasText: "現在のパスワードが正しくありません" }).waitFor();
    await page.getByLabel("現在のパスワード").fill(PASSWORD);
    await page.getByLabel("新しいパスワード").fill(CHANGED);
    await page.getByRole("button", { name: "パスワードを変更" }).click();
    await page.getByRole("status").filter({ hasText: "パスワードを変更しました" }).waitFor();

    await page.getByRole("button", { name: "サインアウト", exact: true }).click();
    await page.getByRole("heading", { name: "サインイン" }).waitFor();

    // On a tablet, signed in again with the new password: the profile still fits.
    const tablet = await newPage("en-US", TABLET);
    await signIn(tablet, "cleo@kappa.example", CHANGED);
    await tablet.goto(`${url}/app/profile`);
    await tablet.getByRole("heading", { name: "プロフィール", level: 1 }).waitFor();
    // Evaluated through the DevTools protocol, as axe is: the page's CSP stays on.
    const overflow = await tablet.evaluate("document.documentElement.scrollWidth > window.innerWidth");
    expect(overflow).toBe(false);
    await shot(tablet, "profile-tablet-ja");
    expect(cspViolations).toEqual([]);
  }, 180_000);

  it("offers the reset in Japanese from the Japanese sign-in page", async () => {
    const page = await newPage("ja-JP");
    await page.goto(`${url}/app/sign-in`);
    await page.getByRole("link", { name: "パスワードをお忘れですか？" }).click();
    await page.getByRole("heading", { name: "パスワードの再設定", level: 1 }).waitFor();
    expect(await page.getByLabel("メールアドレス").getAttribute("type")).toBe("email");
    await shot(page, "reset-password-ja");
    expect(cspViolations).toEqual([]);
  }, 60_000);

  it("resets a forgotten password through the mailed link and signs in with the new one", async () => {
    const page = await newPage();
    await page.goto(`${url}/app/sign-in`);
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.getByRole("heading", { name: "Reset your password", level: 1 }).waitFor();
    await page.getByLabel("Email").fill("cleo@kappa.example");
    await page.getByRole("button", { name: "Send the link" }).click();
    await page.getByRole("status").filter({ hasText: "a link is on its way" }).waitFor();
    await shot(page, "reset-password-en");

    const dir = join(stack.deps.outboxDir, ws.workspaceId);
    const file = await eventually(
      async () => (await readdir(dir).catch(() => [])).find((f) => f.startsWith("password-reset-")),
      "the reset mail in the outbox",
    );
    const mail = await simpleParser(await readFile(join(dir, file)));
    const link = /https?:\/\/\S+\/app\/reset-password\/new\?token=[\w-]+/.exec(mail.text ?? "")?.[0];
    expect(link).toBeDefined();
    // The stack's public URL is a placeholder; the path and token are what the link carries.
    const target = new URL(link as string);
    await page.goto(`${url}${target.pathname}${target.search}`);
    await page.getByRole("heading", { name: "Set a new password", level: 1 }).waitFor();
    await page.getByLabel("New password").fill(RESET);
    await shot(page, "reset-new-password-en");
    await page.getByRole("button", { name: "Set new password" }).click();
    await page.getByRole("status").filter({ hasText: "Your password is set" }).waitFor();

    await signIn(page, "cleo@kappa.example", RESET);
    // Cleo chose Japanese on her profile: the console speaks it after sign-in.
    await page.getByRole("heading", { name: "ホーム", level: 1 }).waitFor();
    // The link was used up.
    await page.goto(`${url}${target.pathname}${target.search}`);
    expect(await page.getByRole("alert").textContent()).toContain("期限切れ");
    expect(cspViolations).toEqual([]);
  }, 180_000);
});
