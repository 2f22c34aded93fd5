import { mkdir, readdir, readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import { simpleParser } from "mailparser";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Enrollment, TraceEntry } from "../apps/core/enrollments/schemas";
import { accountHealth, accounts } from "../db/schema";
import { launchBrowser } from "./browser";
import {
  addPerson,
  closeBrowserSuite,
  LAPTOP,
  pageOpener,
  SCREENSHOTS,
  serveOnLoopback,
  shot,
  signInWithForm,
} from "./console-harness";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "./harness";

/** The accounts list and the account page in real Chromium, in English and Japanese, laptop and tablet. */

/** On a PostgreSQL server people of earlier runs remain: this run's CSM has an address of her own. */
const CARLA = `carla-${process.pid}-${Date.now().toString(36)}@kappa.example`;

let stack: TestStack;
let ws: TestWorkspace;
let browser: Browser;
let server: Server;
let url: string;

/** The little of a canvas element the test reads (the suites are typed without the DOM library). */
type Canvas = {
  width: number;
  height: number;
  getContext(
    kind: "2d",
  ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
};

const pages = pageOpener(() => browser);
const newPage = (viewport = LAPTOP) => pages.open("en-US", viewport);
const cspViolations = pages.cspViolations;

/** Carla signs in, landing on Home in her saved language. */
const signIn = (page: Page) => signInWithForm(page, url, CARLA);

async function json<T>(response: Promise<Response>): Promise<T> {
  return (await (await response).json()) as T;
}

/** Health runs of the last weeks, with the default scorecard's measures. */
async function scoreHistory(externalId: string, scores: number[]) {
  const [row] = await stack.database.db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, ws.workspaceId), eq(accounts.externalId, externalId)));
  const accountId = row?.id as string;
  const band = (s: number) => (s < 40 ? "red" : s < 70 ? "yellow" : "green") as "red" | "yellow" | "green";
  await stack.database.db.insert(accountHealth).values(
    scores.map((score, i) => ({
      workspaceId: ws.workspaceId,
      accountId,
      computedAt: new Date(Date.now() - (scores.length - i) * 7 * 86_400_000),
      score,
      band: band(score),
      measures: {
        deployed: { value: 0.6, score: score + 5 },
        active: { value: 0.35, score },
        active_days: { value: 9, score: score - 5 },
        touch_score: { value: 0.25, score: score - 10 },
      },
    })),
  );
  const last = scores.at(-1) ?? 0;
  await stack.database.db
    .update(accounts)
    .set({ healthScore: last, healthBand: band(last), healthComputedAt: new Date() })
    .where(eq(accounts.id, accountId));
}

beforeAll(async () => {
  const launching = launchBrowser();
  await mkdir(SCREENSHOTS, { recursive: true });
  stack = await startTestStack();
  ws = await stack.newWorkspace("Kappa Cloud CS");
  await addPerson(stack, ws.workspaceId, CARLA, "csm", "Carla CSM");
  const soon = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  const put = async (id: string, body: Record<string, unknown>) =>
    expect((await ws.request("PUT", `/v1/accounts/${id}`, body)).status).toBe(201);
  await put("acme", {
    name: "Acme Corp",
    tier: "high_touch",
    lifecycleStage: "onboarding",
    ownerCsm: "carla@kappa.example",
    arr: 240000,
    renewalDate: soon(75),
    contacts: [
      { externalId: "ann", email: "ann@acme.example", name: "Ann Admin", role: "admin" },
      { externalId: "ben", email: "ben@acme.example", name: "Ben Builder", role: "champion" },
    ],
  });
  await put("birch", { name: "Birch Bank", tier: "high_touch", ownerCsm: "carla@kappa.example", arr: 90000 });
  await put("cedar", { name: "Cedar Co", tier: "low_touch", renewalDate: soon(20), arr: 12000 });
  await put("delta", { name: "Delta Labs", tier: "tech_touch", lifecycleStage: "adoption", arr: 3000 });
  await scoreHistory("acme", [72, 66, 58, 49, 41, 33]);
  await scoreHistory("birch", [80, 84, 88]);
  await scoreHistory("cedar", [50, 35]);

  // A real journey mails Ann and escalates: a touch, an open and an escalation on the timeline.
  await ws.request("PUT", "/v1/journeys/welcome-and-call", {
    name: "Welcome and call",
    trigger: { type: "manual" },
    steps: [
      { id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" },
      { id: "call", type: "escalate", reason: "No login after the welcome", sla: "P2D" },
    ],
  });
  expect((await ws.request("POST", "/v1/journeys/welcome-and-call/publish")).status).toBe(201);
  const run = await json<Enrollment>(
    ws.request("POST", "/v1/enrollments", { journey: "welcome-and-call", account: "acme" }),
  );
  await eventually(async () => {
    const t = await json<{ trace: TraceEntry[] }>(ws.request("GET", `/v1/enrollments/${run.id}/trace`));
    return t.trace.some((e) => e.kind === "sent") ? t : undefined;
  }, "the welcome mail");
  const dir = join(stack.deps.outboxDir, ws.workspaceId);
  const file = await eventually(
    async () =>
      (await readdir(dir).catch(() => [] as string[])).find(
        (f) => f.endsWith(".eml") && f.includes("welcome"),
      ),
    "the welcome in the outbox",
  );
  const html = String((await simpleParser(await readFile(join(dir, file)))).html);
  const pixel = /src="http:\/\/localhost:3000(\/t\/o\/[^"]+)"/.exec(html)?.[1];
  expect((await stack.app.request(pixel ?? "/missing")).status).toBe(200);
  await eventually(async () => {
    const page = await json<{ data: { type: string; opens?: number }[] }>(
      ws.request("GET", "/v1/accounts/acme/timeline"),
    );
    return page.data.some((i) => i.type === "touch" && i.opens === 1) ? true : undefined;
  }, "the open on the timeline");

  ({ server, url } = await serveOnLoopback(stack.app));
  browser = await launching;
}, 180_000);

afterAll(() => closeBrowserSuite({ browser, server, stack }));

describe("accounts in Chromium", () => {
  it("filters the list by band and tier, opens an account with its drawn health chart, timeline and contacts, in English and Japanese", async () => {
    const page = await newPage();
    await signIn(page);
    await page.getByRole("link", { name: "Accounts" }).click();
    await page.getByRole("heading", { name: "Accounts", level: 1 }).waitFor();
    const rows = page.locator("#account-results tbody tr");
    expect(await rows.count()).toBe(4);

    // htmx swaps the results in place: a marker on window survives the filtering.
    await page.evaluate(() => Object.assign(globalThis, { stillHere: true }));
    await page.getByLabel("Health band").selectOption("red");
    await page.getByLabel("Tier").selectOption("high_touch");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await eventually(
      async () => ((await rows.count()) === 1 ? true : undefined),
      "one red high-touch account",
    );
    expect(await rows.first().textContent()).toContain("Acme Corp");
    expect(await page.evaluate(() => (globalThis as { stillHere?: boolean }).stillHere)).toBe(true);
    const pushed = new URL(page.url()).searchParams;
    expect([pushed.get("tier"), pushed.get("band")]).toEqual(["high_touch", "red"]);
    await shot(page, "accounts-en");

    await page.getByRole("link", { name: "Acme Corp" }).click();
    await page.getByRole("heading", { name: "Acme Corp", level: 1 }).waitFor();
    const chart = page.locator('canvas#health-chart[data-drawn="true"]');
    await chart.waitFor();
    // Drawn, not blank: some pixels of the line are painted.
    const painted = await chart.evaluate((element) => {
      const canvas = element as unknown as Canvas;
      const { width, height } = canvas;
      const data = canvas.getContext("2d")?.getImageData(0, 0, width, height).data ?? [];
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(500);
    const health = page.getByRole("region", { name: "Health" });
    for (const words of ["33 · Red", "Deployment", "Adoption", "Engagement", "Licenses activated (goal 80%)"])
      expect(await health.textContent()).toContain(words);
    const timeline = page.getByRole("region", { name: "Timeline" });
    expect(await timeline.textContent()).toMatch(/Touch onboarding-welcome .*opened 1/);
    expect(await timeline.textContent()).toContain("No login after the welcome");
    const contacts = page.getByRole("region", { name: "Contacts" });
    expect(await contacts.getByRole("row", { name: /Ann Admin/ }).textContent()).toContain(
      "Subscribed to everything",
    );
    await page
      .getByRole("region", { name: "Enrollments" })
      .getByRole("link", { name: "welcome-and-call" })
      .waitFor();
    await page
      .getByRole("region", { name: "Open escalations" })
      .getByRole("link", { name: "Open the inbox" })
      .waitFor();
    await shot(page, "account-en");

    await page.getByLabel("Language").selectOption("ja");
    await page.getByRole("button", { name: "Change language" }).click();
    await page.getByRole("heading", { name: "Acme Corp", level: 1 }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("ja");
    await page.locator('canvas#health-chart[data-drawn="true"]').waitFor();
    expect(await page.getByRole("region", { name: "ヘルス" }).textContent()).toContain("33 · 赤");
    expect(await page.getByRole("region", { name: "タイムライン" }).textContent()).toContain("開封 1");
    await shot(page, "account-ja");

    await page.getByRole("link", { name: "アカウント一覧" }).click();
    await page.getByRole("heading", { name: "アカウント", level: 1 }).waitFor();
    await page.getByLabel("ヘルス帯").selectOption("red");
    await page.getByRole("button", { name: "絞り込む" }).click();
    await eventually(async () => ((await rows.count()) === 2 ? true : undefined), "the two red accounts");
    expect(await page.getByRole("main").textContent()).toContain("ハイタッチ");
    await shot(page, "accounts-ja");
    // A language switch keeps the list's filters: the same two red accounts, now in English.
    await page.getByLabel("言語").selectOption("en");
    await page.getByRole("button", { name: "言語を変更" }).click();
    await page.getByRole("heading", { name: "Accounts", level: 1 }).waitFor();
    expect(new URL(page.url()).searchParams.get("band")).toBe("red");
    expect(await page.getByLabel("Health band").inputValue()).toBe("red");
    await eventually(
      async () => ((await rows.count()) === 2 ? true : undefined),
      "the two red accounts in English",
    );
    await page.getByLabel("Language").selectOption("ja");
    await page.getByRole("button", { name: "Change language" }).click();
    await page.getByRole("heading", { name: "アカウント", level: 1 }).waitFor();
    // By keyboard: Enter in the search field applies the filters, Enter on the focused link opens it.
    await page.getByLabel("名前に含む").fill("Cedar");
    await page.getByLabel("名前に含む").press("Enter");
    await eventually(async () => ((await rows.count()) === 1 ? true : undefined), "Cedar alone");
    const link = page.getByRole("link", { name: "Cedar Co" });
    await link.focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Cedar Co", level: 1 }).waitFor();

    const tablet = await newPage({ width: 768, height: 1024 });
    await signIn(tablet);
    await tablet.goto(`${url}/app/accounts/acme`);
    await tablet.locator('canvas#health-chart[data-drawn="true"]').waitFor();
    // Nothing wider than the screen: the page does not scroll sideways.
    expect(
      await tablet.evaluate(
        () =>
          (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
            .documentElement.scrollWidth,
      ),
    ).toBeLessThanOrEqual(768);
    await shot(tablet, "account-tablet");
    expect(cspViolations).toEqual([]);
  }, 120_000);
});
