import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import { eq } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAccountRow } from "../apps/core/accounts/accounts";
import type { Escalation } from "../apps/core/escalations/queries";
import { accountHealth, accounts } from "../db/schema";
import { launchBrowser } from "./browser";
import {
  addPerson,
  closeBrowserSuite,
  LAPTOP,
  pageOpener,
  SCREENSHOTS,
  shot as screenshot,
  serveOnLoopback,
  signInWithForm,
  TABLET,
} from "./console-harness";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "./harness";

/**
 * The Inbox and the trace page in real Chromium, with a real journey on the stack's Temporal worker:
 * an escalate step that holds the run until the CSM resolves it, then a stage change.
 */

let stack: TestStack;
let ws: TestWorkspace;
let browser: Browser;
let server: Server;
let url: string;
/** What the pages said about Content-Security-Policy violations (there must be none). */

const pages = pageOpener(() => browser);
const newPage = (viewport = LAPTOP, locale = "en-US") => pages.open(locale, viewport);
const cspViolations = pages.cspViolations;

/** A screenshot for review, and axe-core's check of the same page: no serious or critical violation. */
async function shot(page: Page, name: string) {
  await screenshot(page, name);
  // axe's colour checks leave `style=""` on the elements they looked at; htmx settles an old element's
  // style onto its swapped-in twin, which the CSP reports. The page itself sets none: take them off.
  const left = await page.evaluate(
    "(() => { const all = document.querySelectorAll('[style=\"\"]'); for (const e of all) e.removeAttribute('style'); return all.length; })()",
  );
  expect(typeof left).toBe("number");
}

async function signIn(page: Page, email: string) {
  await signInWithForm(page, url, email);
  await page.getByRole("heading", { name: "Home", level: 1 }).waitFor();
}

/** Enrolls an account in the escalating journey and waits for the escalation it raises. */
async function raiseEscalation(account: string): Promise<Escalation> {
  const res = await ws.request("POST", "/v1/enrollments", { journey: "call-them", account });
  expect(res.status).toBeLessThan(300);
  const { id } = (await res.json()) as { id: string };
  return eventually(async () => {
    const { data } = (await (await ws.request("GET", "/v1/escalations")).json()) as { data: Escalation[] };
    return data.find((e) => e.enrollmentId === id);
  }, `the escalation of ${account}`);
}

beforeAll(async () => {
  const launching = launchBrowser();
  await mkdir(SCREENSHOTS, { recursive: true });
  stack = await startTestStack();
  ws = await stack.newWorkspace("Kappa Cloud CS");
  for (const [email, name, role] of [
    ["cara@kappa.example", "Cara Sato", "csm"],
    ["vic@kappa.example", "Vic Viewer", "viewer"],
  ] as const) {
    await addPerson(stack, ws.workspaceId, email, role, name);
  }
  await ws.request("PUT", "/v1/csms/cara@kappa.example", { name: "Cara Sato", timezone: "Asia/Tokyo" });
  await ws.request("PUT", "/v1/csms/ken@kappa.example", { name: "Ken Mori", timezone: "Asia/Tokyo" });
  expect(
    (
      await ws.request("PUT", "/v1/journeys/call-them", {
        name: "Call quiet accounts",
        trigger: { type: "manual" },
        steps: [
          {
            id: "call",
            type: "escalate",
            reason: "No login 7 days after welcome",
            priority: "high",
            sla: "P2D",
            waitForResolution: true,
          },
          { id: "adopt", type: "set_stage", stage: "adoption" },
        ],
      })
    ).status,
  ).toBeLessThan(300);
  expect((await ws.request("POST", "/v1/journeys/call-them/publish")).status).toBeLessThan(300);
  for (const [id, name, arr] of [
    ["acme", "Acme KK", 2_400_000],
    ["bolt", "Bolt Systems", 860_000],
  ] as const)
    await ws.request("PUT", `/v1/accounts/${id}`, {
      name,
      tier: "low_touch",
      arr,
      renewalDate: "2027-03-31",
      ownerCsm: "cara@kappa.example",
    });
  // Acme's health line for the sparkline: falling over a fortnight.
  const acme = await findAccountRow(stack.database.db, ws.workspaceId, "acme");
  await stack.database.db.insert(accountHealth).values(
    [78, 74, 66, 59, 51, 44].map((score, i) => ({
      workspaceId: ws.workspaceId,
      accountId: acme?.id ?? "",
      computedAt: new Date(Date.now() - (15 - i * 3) * 86_400_000),
      score,
      band: score >= 70 ? ("green" as const) : score >= 50 ? ("yellow" as const) : ("red" as const),
      measures: {},
    })),
  );
  await stack.database.db
    .update(accounts)
    .set({ healthScore: 44, healthBand: "red" })
    .where(eq(accounts.id, acme?.id ?? ""));
  ({ server, url } = await serveOnLoopback(stack.app));
  browser = await launching;
}, 120_000);

afterAll(() => closeBrowserSuite({ browser, server, stack }));

describe("the Inbox in Chromium", () => {
  it("shows a journey's escalation to its CSM, brings new ones without reload, and resolves it so the journey goes on", async () => {
    const acme = await raiseEscalation("acme");
    const page = await newPage();
    await signIn(page, "cara@kappa.example");
    await page.getByRole("link", { name: "Inbox", exact: true }).click();
    await page.getByRole("heading", { name: "Inbox", level: 1 }).waitFor();
    const acmeCard = page.getByRole("article", { name: "Acme KK" });
    await acmeCard.waitFor();
    expect(await acmeCard.textContent()).toContain("No login 7 days after welcome");
    expect(await page.getByLabel("Owner").inputValue()).toBe("mine");
    await acmeCard.locator('canvas[data-drawn="true"]').waitFor();
    await shot(page, "inbox-en");

    // The keyboard opens the resolution form; Cara starts writing.
    await acmeCard.locator("summary", { hasText: "Resolve" }).focus();
    await page.keyboard.press("Enter");
    await acmeCard.getByLabel("Resolution label").fill("draft");

    // A second escalation while the page is open: the poll brings it, the page is not reloaded, and
    // what Cara was writing is still there.
    await page.evaluate(() => Object.assign(globalThis, { stillHere: true }));
    await raiseEscalation("bolt");
    await page.getByRole("article", { name: "Bolt Systems" }).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (globalThis as { stillHere?: boolean }).stillHere)).toBe(true);
    expect(await acmeCard.getByLabel("Resolution label").inputValue()).toBe("draft");

    expect(await page.getByLabel("Status").inputValue()).toBe("unresolved");
    await acmeCard.getByRole("button", { name: "Acknowledge" }).click();
    // In place: the card says so at once, and stays in the view of what is not resolved.
    await acmeCard.getByText("Saved.").waitFor();
    expect(await acmeCard.textContent()).toContain("Acknowledged");
    expect(
      ((await (await ws.request("GET", `/v1/escalations/${acme.id}`)).json()) as Escalation).status,
    ).toBe("acknowledged");

    // The acknowledged ones, through the filter form; the URL says the view.
    await page.getByLabel("Status").selectOption("acknowledged");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/status=acknowledged/);
    await page.getByText("Escalations shown: 1").waitFor();
    expect(await page.getByRole("article", { name: "Bolt Systems" }).count()).toBe(0);
    await acmeCard.getByLabel("Resume the journey").check();
    await acmeCard.getByLabel("Resolution label").fill("saved");
    await acmeCard.getByLabel("Notes").fill("Called the admin; the team logs in again.");
    await acmeCard.getByRole("button", { name: "Resolve" }).click();
    await acmeCard.getByText("saved · back to the journey").waitFor();
    expect(await page.evaluate(() => (globalThis as { stillHere?: boolean }).stillHere)).toBe(true);
    expect(await (await ws.request("GET", `/v1/escalations/${acme.id}`)).json()).toMatchObject({
      status: "resolved",
      outcome: "resume",
      resolution: "saved",
    });

    // The trace: the journey went on past the escalation to the stage change.
    await acmeCard.getByRole("link", { name: "Journey trace" }).click();
    await page.getByRole("heading", { name: "Trace" }).waitFor();
    await eventually(async () => {
      const text = (await page.getByRole("main").textContent()) ?? "";
      if (text.includes("Stage set") && text.includes("Completed")) return true;
      await page.reload();
      return undefined;
    }, "the journey past the escalation");
    const timeline = (await page.getByRole("list").last().textContent()) ?? "";
    const order = ["Entered the journey", "Escalation opened", "Escalation resolved", "Stage set"].map((k) =>
      timeline.indexOf(k),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(timeline).toContain("resumed the journey · “saved”");
    await shot(page, "trace-en");

    // Japanese: the language switch, then the open ones (Bolt).
    await page.goto(`${url}/app/inbox`);
    await page.getByLabel("Language").selectOption("ja");
    await page.getByRole("button", { name: "Change language" }).click();
    await page.getByRole("heading", { name: "受信トレイ", level: 1 }).waitFor();
    const bolt = page.getByRole("article", { name: "Bolt Systems" });
    await bolt.waitFor();
    expect(await bolt.textContent()).toContain("時間後");
    expect(await bolt.getByRole("button", { name: "対応開始" }).count()).toBe(1);
    expect(await page.getByText("時刻のタイムゾーン: Asia/Tokyo").count()).toBe(1);
    await shot(page, "inbox-ja");
    // The CSM's actions on a tablet: nothing wider than the screen.
    await page.setViewportSize(TABLET);
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(TABLET.width);
    await shot(page, "inbox-tablet-csm-ja");

    // The trace in Japanese.
    await page.setViewportSize(LAPTOP);
    await page.goto(`${url}/app/enrollments/${acme.enrollmentId}`);
    await page.getByRole("heading", { name: "トレース" }).waitFor();
    const ja = (await page.getByRole("main").textContent()) ?? "";
    for (const words of ["エスカレーションを解決", "ステージを設定", "完了"]) expect(ja).toContain(words);
    await shot(page, "trace-ja");
    expect(cspViolations).toEqual([]);
  }, 180_000);

  it("lets a viewer on a tablet read everyone's escalations without any action", async () => {
    const page = await newPage(TABLET);
    await signIn(page, "vic@kappa.example");
    await page.goto(`${url}/app/inbox`);
    await page.getByRole("article", { name: "Bolt Systems" }).waitFor();
    expect(await page.getByLabel("Owner").inputValue()).toBe("all");
    expect(await page.getByRole("button", { name: "Acknowledge" }).count()).toBe(0);
    expect(await page.locator("summary").count()).toBe(0);
    // Nothing wider than the screen.
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(TABLET.width);
    await shot(page, "inbox-tablet");
    // The keyboard reaches the filters and the card's links.
    await page.getByLabel("Status").focus();
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.id")).toBe("f-priority");
    expect(cspViolations).toEqual([]);
  }, 120_000);
});
