import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import type { Browser, Page } from "playwright-core";
import { expect } from "vitest";
import { createUser } from "../apps/core/workspace/users";
import { seriousA11yViolations } from "./axe";
import type { TestStack } from "./harness";

/**
 * What every console test file shares: form posts and sign-in through `app.request`, test people,
 * and in Chromium a page that records CSP violations, a screenshot checked by axe, the app served
 * on loopback and a sign-in through the form.
 */

export const PASSWORD = "correct horse battery";
export const ORIGIN = "http://localhost";
export const SCREENSHOTS = new URL("../.volante/screenshots/", import.meta.url).pathname;
export const LAPTOP = { width: 1100, height: 760 };
export const TABLET = { width: 768, height: 1024 };

type App = TestStack["app"];
export type Role = "admin" | "cs_ops" | "csm" | "viewer";

/**
 * A console form post, same-origin as a browser sends it; `htmx` as htmx sends it. `app` is a getter:
 * the stack starts in `beforeAll`, after the file's helpers are made.
 */
export function formPoster(app: () => App) {
  return (
    path: string,
    fields: Record<string, string | string[]>,
    cookie = "",
    extra: { htmx?: boolean; headers?: Record<string, string> } = {},
  ) => {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(fields))
      for (const one of Array.isArray(value) ? value : [value]) body.append(name, one);
    return app().request(path, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: ORIGIN,
        ...(cookie ? { cookie } : {}),
        ...(extra.htmx ? { "HX-Request": "true" } : {}),
        ...extra.headers,
      },
    });
  };
}

/** Signs in through the form and returns the session cookie (`name=value`). */
export async function sessionCookie(app: App, email: string, password = PASSWORD): Promise<string> {
  const res = await formPoster(() => app)("/app/sign-in", { email, password });
  expect(res.status, `sign-in of ${email}`).toBe(303);
  return (res.headers.get("set-cookie") ?? "").split(";")[0] as string;
}

/** A person of a workspace who signs in with `PASSWORD`. */
export async function addPerson(
  stack: TestStack,
  workspaceId: string,
  email: string,
  role: Role,
  name = email.split("@")[0] ?? email,
): Promise<void> {
  const created = await createUser(stack.deps, workspaceId, { email, name, role, password: PASSWORD });
  if (!created.ok) throw new Error(created.detail);
}

/**
 * Opens pages in new browser contexts and keeps every Content Security Policy violation they
 * report, with the page's address; `ignore` leaves out messages from some sources (a frame with a
 * policy of its own).
 */
export function pageOpener(browser: () => Browser, ignore: (sourceUrl: string) => boolean = () => false) {
  const cspViolations: string[] = [];
  const open = async (locale = "en-US", viewport = LAPTOP): Promise<Page> => {
    const context = await browser().newContext({ locale, viewport });
    const page = await context.newPage();
    page.on("console", (message) => {
      if (ignore(message.location().url)) return;
      if (/Content Security Policy/i.test(message.text()))
        cspViolations.push(`${page.url()}: ${message.text().slice(0, 200)}`);
    });
    return page;
  };
  return { open, cspViolations };
}

/** A full-page screenshot in .volante/screenshots/, and no serious or critical axe violation on it. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  expect(await seriousA11yViolations(page), `accessibility of ${name}`).toEqual([]);
}

/** The app on a free loopback port, for the browser. */
export async function serveOnLoopback(app: App): Promise<{ server: Server; url: string }> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as Server;
  await new Promise<void>((resolve) =>
    server.listening ? resolve() : server.once("listening", () => resolve()),
  );
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** What a browser test file started, closed in reverse at its end (each may be missing after a failed start). */
export async function closeBrowserSuite(parts: {
  browser?: Browser;
  server?: Server;
  stack?: TestStack;
}): Promise<void> {
  await parts.browser?.close();
  await new Promise<void>((resolve) => (parts.server ? parts.server.close(() => resolve()) : resolve()));
  await parts.stack?.close();
}

/** Signs in through the form as a person does, in the page's language, and waits to leave the form. */
export async function signInWithForm(
  page: Page,
  url: string,
  email: string,
  password = PASSWORD,
  words = { email: "Email", password: "Password", go: "Sign in" },
): Promise<void> {
  await page.goto(`${url}/app/sign-in`);
  await page.getByLabel(words.email).fill(email);
  await page.getByLabel(words.password).fill(password);
  await page.getByRole("button", { name: words.go }).click();
  await page.waitForURL((u) => !u.pathname.endsWith("/sign-in"));
}
