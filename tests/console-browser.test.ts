import { mkdir, readdir, readFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { simpleParser } from "mailparser";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "../apps/core/workspace/users";
import { seriousA11yViolations } from "./axe";
import { launchBrowser } from "./browser";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "./harness";

/** The console in real Chromium: one browser, one stack, one server for the file. Screenshots go to .volante/screenshots/. */

const SCREENSHOTS = new URL("../.volante/screenshots/", import.meta.url).pathname;
const PASSWORD = "correct horse battery";

let stack: TestStack;
let ws: TestWorkspace;
let browser: Browser;
let server: Server;
let url: string;
/** What the pages said about Content-Security-Policy violations (there must be none). */
const cspViolations: string[] = [];

async function newPage(locale = "en-US"): Promise<Page> {
  const context = await browser.newContext({ locale, viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return page;
}

/** A screenshot for review, and axe-core's check of the same page: no serious or critical violation. */
async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  expect(await seriousA11yViolations(page), `accessibility of ${name}`).toEqual([]);
}

beforeAll(async () => {
  const launching = launchBrowser();
  await mkdir(SCREENSHOTS, { recursive: true });
  stack = await startTestStack();
  ws = await stack.newWorkspace("Kappa Cloud CS");
  const ada = await createUser(stack.deps, ws.workspaceId, {
    email: "ada@kappa.example",
    name: "Ada Admin",
    role: "admin",
    password: PASSWORD,
  });
  expect(ada.ok).toBe(true);
  server = serve({ fetch: stack.app.fetch, port: 0, hostname: "127.0.0.1" }) as Server;
  await new Promise<void>((resolve) =>
    server.listening ? resolve() : server.once("listening", () => resolve()),
  );
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launching;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await stack?.close();
});

describe("console in Chromium", () => {
  it("signs in through the labelled fields, switches to Japanese, manages people in place and signs out", async () => {
    const page = await newPage();
    await page.goto(`${url}/`);
    expect(new URL(page.url()).pathname).toBe("/app/sign-in");
    await shot(page, "sign-in-en");
    await page.getByLabel("Email").fill("ada@kappa.example");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Welcome" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/app");
    const main = page.getByRole("main");
    expect(await main.textContent()).toContain("Ada Admin");
    expect(await main.textContent()).toContain("Kappa Cloud CS");
    expect(await page.getByRole("banner").textContent()).toContain("Kappa Cloud CS");
    await shot(page, "home-en");

    await page.getByLabel("Language").selectOption("ja");
    await page.getByRole("button", { name: "Change language" }).click();
    await page.getByRole("heading", { name: "ようこそ" }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("ja");
    expect(await main.textContent()).toContain("サインイン中のユーザー");
    expect(await main.textContent()).toContain("管理者");
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
    await page.getByRole("heading", { name: "Welcome" }).waitFor();
    expect(await page.getByRole("main").textContent()).toContain("CS Ops");
    // Not an admin: no People in the navigation.
    expect(await page.getByRole("link", { name: "People" }).count()).toBe(0);
    await shot(page, "home-cs-ops-en");
    // The link was used up.
    await page.goto(`${url}${target.pathname}${target.search}`);
    expect(await page.getByRole("alert").textContent()).toContain("expired or was already used");
    expect(cspViolations).toEqual([]);
  }, 120_000);
});
