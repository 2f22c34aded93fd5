import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPlaybooks } from "../apps/core/templates/files";
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
 * The journey studio's list and journey pages (issue 18, items 1 and 2): through `app.request` for
 * access and content, and in real Chromium as CS Ops use them. Screenshots go to .volante/screenshots/.
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

/** The step ids drawn as boxes in the page's journey map. */
const drawnSteps = (html: string) =>
  [...html.matchAll(/<g class="node node-[\w_]+" data-step="([^"]+)"/g)].map((m) => m[1]);

/** A journey using every step type, each way out labelled. */
const everyStep = {
  name: "Every step",
  trigger: { type: "manual" },
  steps: [
    { id: "hello", type: "email", template: "onboarding-welcome", to: "role:admin" },
    { id: "banner", type: "in_app", template: "invite-your-team", to: "role:admin" },
    { id: "pause", type: "wait", duration: "P1D" },
    { id: "login", type: "wait_for_event", event: "login", timeout: "P7D", onTimeout: "nudge" },
    {
      id: "seats",
      type: "branch",
      if: { fact: "deployment.ratio", op: "lt", value: 0.8 },
      then: "ab",
      else: "stage",
    },
    {
      id: "ab",
      type: "split",
      branches: [
        { name: "A", percent: 50, next: "hook" },
        { name: "B", percent: 50, next: "stage" },
      ],
    },
    { id: "hook", type: "webhook", url: "https://hooks.example.com/volante", next: "stage" },
    { id: "nudge", type: "escalate", reason: "No login for a week", sla: "P2D", next: "stage" },
    { id: "stage", type: "set_stage", stage: "adoption" },
    { id: "bye", type: "exit", reason: "done" },
  ],
};

const pages = pageOpener(() => browser);
const newPage = pages.open;
const cspViolations = pages.cspViolations;

beforeAll(async () => {
  const launching = launchBrowser();
  await mkdir(SCREENSHOTS, { recursive: true });
  stack = await startTestStack();
  ws = await stack.newWorkspace("Studio Co");
  other = await stack.newWorkspace("Elsewhere");
  for (const [email, role] of [
    ["olga@studio.example", "cs_ops"],
    ["vera@studio.example", "viewer"],
  ] as const) {
    await addPerson(stack, ws.workspaceId, email, role);
    cookies[role] = await signIn(email);
  }
  ({ server, url } = await serveOnLoopback(stack.app));
  browser = await launching;
}, 120_000);

afterAll(() => closeBrowserSuite({ browser, server, stack }));

describe("journey studio pages", () => {
  it("sends a signed-out visitor to sign in, and lets a viewer read but not change", async () => {
    for (const path of ["/app/journeys", "/app/journeys/anything"]) {
      const res = await get(path);
      expect(res.status, path).toBe(302);
      expect(res.headers.get("location")).toBe("/app/sign-in");
    }
    const list = await get("/app/journeys", cookies.viewer);
    expect(list.status).toBe(200);
    expect(await list.text()).not.toContain('action="/app/journeys"');
    const created = await post("/app/journeys", { playbook: "renewal-prep" }, cookies.viewer as string);
    expect(created.status).toBe(403);
    expect(
      (await post("/app/journeys/renewal-prep/pause", { confirmed: "yes" }, cookies.viewer as string)).status,
    ).toBe(403);
  });

  it("creates a draft from each shipped playbook and draws every step of it", async () => {
    const playbooks = await loadPlaybooks();
    expect(playbooks.length).toBe(3);
    for (const playbook of playbooks) {
      const res = await post("/app/journeys", { playbook: playbook.key }, cookies.cs_ops as string);
      expect(res.status, playbook.key).toBe(303);
      expect(res.headers.get("location")).toBe(`/app/journeys/${playbook.key}?done=created`);
      const html = await (await get(`/app/journeys/${playbook.key}`, cookies.cs_ops)).text();
      const steps = (playbook.definition as { steps: { id: string }[] }).steps.map((s) => s.id);
      expect(drawnSteps(html).sort(), playbook.key).toEqual([...steps].sort());
      expect(html).toContain('class="node node-trigger"');
    }
    // The same key again is refused, and a key of another shape too; nothing else changes.
    const again = await post("/app/journeys", { playbook: "renewal-prep" }, cookies.cs_ops as string);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("exists already");
    const bad = await post(
      "/app/journeys",
      { playbook: "renewal-prep", key: "Not A Key" },
      cookies.cs_ops as string,
    );
    expect(bad.status).toBe(422);
    const copy = await post(
      "/app/journeys",
      { playbook: "renewal-prep", key: "renewal-copy" },
      cookies.cs_ops as string,
    );
    expect(copy.status).toBe(303);
    const list = await (await get("/app/journeys", cookies.viewer)).text();
    for (const key of ["onboarding-tech-touch", "renewal-prep", "adoption-feature-breadth", "renewal-copy"])
      expect(list).toContain(`href="/app/journeys/${key}"`);
  });

  it("draws a journey using every step type with each way out labelled", async () => {
    expect((await ws.request("PUT", "/v1/journeys/every-step", everyStep)).status).toBeLessThan(300);
    const html = await (await get("/app/journeys/every-step", cookies.viewer)).text();
    expect(drawnSteps(html)).toEqual(everyStep.steps.map((s) => s.id));
    for (const type of [
      "email",
      "in_app",
      "wait",
      "wait_for_event",
      "branch",
      "split",
      "escalate",
      "set_stage",
      "webhook",
      "exit",
    ])
      expect(html, type).toContain(`class="node node-${type}"`);
    expect(html).toContain('class="node node-end"');
    for (const label of [">yes<", ">no<", ">timeout<", ">A 50%<", ">B 50%<"])
      expect(html, label).toContain(label);
    // Another workspace's people never see it.
    await addPerson(stack, other.workspaceId, "oscar@elsewhere.example", "admin", "Oscar");
    const oscar = await signIn("oscar@elsewhere.example");
    expect((await get("/app/journeys/every-step", oscar)).status).toBe(404);
    expect((await post("/app/journeys/every-step/archive", { confirmed: "yes" }, oscar)).status).toBe(404);
  });

  it("publishes, then pauses after saying how many runs it holds, with per-step counts and a diff between versions", async () => {
    for (const id of ["acme", "globex"]) {
      await ws.request("PUT", `/v1/accounts/${id}`, { name: `${id} KK`, tier: "tech_touch" });
      await ws.request("PUT", `/v1/accounts/${id}/contacts/admin`, {
        email: `admin@${id}.example`,
        role: "admin",
      });
    }
    const definition = {
      name: "Welcome then wait",
      trigger: { type: "manual" },
      steps: [
        { id: "hello", type: "email", template: "onboarding-welcome", to: "role:admin" },
        { id: "later", type: "wait", duration: "P30D" },
        { id: "check", type: "email", template: "onboarding-check-in", to: "role:admin" },
      ],
    };
    expect((await ws.request("PUT", "/v1/journeys/welcome", definition)).status).toBeLessThan(300);
    const cookie = cookies.cs_ops as string;
    const asked = await post("/app/journeys/welcome/publish", {}, cookie);
    expect(asked.status).toBe(200);
    expect(await asked.text()).toContain("Publish the draft as the next version?");
    expect((await ws.request("GET", "/v1/journeys/welcome")).status).toBe(200);
    expect(
      ((await (await ws.request("GET", "/v1/journeys/welcome")).json()) as { latestVersion: number | null })
        .latestVersion,
    ).toBeNull();
    const published = await post("/app/journeys/welcome/publish", { confirmed: "yes" }, cookie);
    expect(published.status).toBe(303);
    expect(published.headers.get("location")).toBe("/app/journeys/welcome?done=publish");

    for (const account of ["acme", "globex"])
      expect(
        (await ws.request("POST", "/v1/enrollments", { journey: "welcome", account })).status,
      ).toBeLessThan(300);
    const html = await eventually(async () => {
      const page = await (await get("/app/journeys/welcome", cookie)).text();
      return page.includes("Entered 2 · Sent 2") ? page : undefined;
    }, "both welcomes counted on the map");
    expect(html).toContain("v1");

    const confirm = await post("/app/journeys/welcome/pause", {}, cookie);
    expect(confirm.status).toBe(200);
    const text = await confirm.text();
    expect(text).toContain("Running enrollments hold before their next touch");
    expect(text).toContain("2 enrollments running now");
    expect(
      ((await (await ws.request("GET", "/v1/journeys/welcome")).json()) as { status: string }).status,
    ).toBe("active");
    const paused = await post("/app/journeys/welcome/pause", { confirmed: "yes" }, cookie);
    expect(paused.status).toBe(303);
    expect(
      ((await (await ws.request("GET", "/v1/journeys/welcome")).json()) as { status: string }).status,
    ).toBe("paused");
    // Resuming a journey never published is refused with the reason, not a 500.
    const refused = await post("/app/journeys/every-step/resume", { confirmed: "yes" }, cookie);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("Cannot resume a journey that is draft.");

    // A second version, and what changed between them.
    definition.steps[2] = {
      id: "check",
      type: "email",
      template: "onboarding-first-login",
      to: "role:admin",
    };
    expect((await ws.request("PUT", "/v1/journeys/welcome", definition)).status).toBeLessThan(300);
    const changed = await (await get("/app/journeys/welcome", cookie)).text();
    expect(changed).toContain("The draft differs from the live version.");
    expect((await post("/app/journeys/welcome/publish", { confirmed: "yes" }, cookie)).status).toBe(303);
    const diff = await (await get("/app/journeys/welcome?from=1&to=2", cookie)).text();
    expect(diff).toContain("<del>-       &quot;template&quot;: &quot;onboarding-check-in&quot;");
    expect(diff).toContain("<ins>+       &quot;template&quot;: &quot;onboarding-first-login&quot;");
    const same = await (await get("/app/journeys/welcome?from=2&to=draft", cookie)).text();
    expect(same).toContain("No difference.");
    // Unknown versions show no diff rather than an error.
    expect((await get("/app/journeys/welcome?from=9&to=x", cookie)).status).toBe(200);
  });

  it("simulates the draft over synthetic accounts, beside the live version, with escalations per CSM against capacity", async () => {
    expect(
      (await ws.request("PUT", "/v1/csms/cara@studio.example", { name: "Cara", capacity: 1 })).status,
    ).toBeLessThan(300);
    const definition = {
      name: "Onboarding call",
      trigger: { type: "stage_entered", stage: "onboarding" },
      steps: [
        { id: "hello", type: "email", template: "onboarding-welcome", to: "role:admin" },
        { id: "later", type: "wait", duration: "P3D" },
        {
          id: "call",
          type: "escalate",
          reason: "Kick-off call",
          sla: "P2D",
          assignee: "cara@studio.example",
        },
      ],
    };
    expect((await ws.request("PUT", "/v1/journeys/onboarding-call", definition)).status).toBeLessThan(300);
    const cookie = cookies.viewer as string;
    expect((await get("/app/journeys/onboarding-call/simulate")).status).toBe(302);
    const form = await get("/app/journeys/onboarding-call/simulate", cookie);
    expect(form.status).toBe(200);
    expect(await form.text()).not.toContain('id="results"');
    const bad = await get("/app/journeys/onboarding-call/simulate?run=1&count=0", cookie);
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("Check the numbers");
    const noLive = await get("/app/journeys/onboarding-call/simulate?run=1&count=20&compare=1", cookie);
    expect(noLive.status).toBe(422);
    expect(await noLive.text()).toContain("no live version");

    const run = await get(
      "/app/journeys/onboarding-call/simulate?run=1&population=synthetic&count=300&days=60",
      cookie,
    );
    expect(run.status).toBe(200);
    const html = await run.text();
    expect(html).toContain('id="results"');
    expect(html).toContain('data-chart="');
    // Every synthetic account entering onboarding gets the welcome; the call lands on Cara, over her capacity of 1 a week.
    const welcomes = Number(/<th scope="row">hello<\/th><td class="num">(\d+)<\/td>/.exec(html)?.[1]);
    expect(welcomes).toBeGreaterThan(0);
    expect(html).toMatch(/<tr class="over"><th scope="row">cara@studio.example<\/th><td class="num">1<\/td>/);

    // Published, then changed: the draft beside the live version on the same population.
    expect(
      (await post("/app/journeys/onboarding-call/publish", { confirmed: "yes" }, cookies.cs_ops as string))
        .status,
    ).toBe(303);
    definition.steps.splice(2, 1);
    expect((await ws.request("PUT", "/v1/journeys/onboarding-call", definition)).status).toBeLessThan(300);
    const compared = await (
      await get("/app/journeys/onboarding-call/simulate?run=1&count=300&days=60&compare=1", cookie)
    ).text();
    const escalations = /<th scope="row">Escalations<\/th><td class="num">(\d+) \/ (\d+)<\/td>/.exec(
      compared,
    );
    expect(escalations?.[1]).toBe("0");
    expect(Number(escalations?.[2])).toBeGreaterThan(0);
    const [, other] =
      /<th scope="row">hello<\/th><td class="num">(\d+)<\/td><td class="num">(\d+)<\/td>/.exec(compared) ??
      [];
    expect(Number(other)).toBe(welcomes);
    // Another workspace's journey is not found.
    expect(
      (await get("/app/journeys/onboarding-call/simulate?run=1", await signIn("oscar@elsewhere.example")))
        .status,
    ).toBe(404);
  });

  it("is used in Chromium: create from a playbook, read the map, pause with confirmation, compare versions, in English and Japanese", async () => {
    const page = await newPage();
    await page.goto(`${url}/app/sign-in`);
    await page.getByLabel("Email").fill("olga@studio.example");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "Journeys" }).click();
    await page.getByRole("heading", { name: "Journeys", level: 1 }).waitFor();
    await page.getByLabel("Playbook", { exact: true }).selectOption({ label: "Onboarding (tech touch)" });
    await page.getByLabel("Key of the new journey").fill("onboarding-b");
    await page.getByRole("button", { name: "Create draft" }).click();
    await page.getByRole("status").filter({ hasText: "Draft created from the playbook." }).waitFor();
    const boxes = await page.locator("svg.journey-graph g.node").count();
    expect(boxes).toBeGreaterThan(10);
    await shot(page, "journey-draft-en");
    // A box is a link to its row in the steps table.
    await page.locator('svg.journey-graph a[href="#step-welcome"]').focus();
    await page.keyboard.press("Enter");
    expect(new URL(page.url()).hash).toBe("#step-welcome");

    await page.goto(`${url}/app/journeys`);
    await shot(page, "journeys-en");
    await page.getByRole("link", { name: "Welcome then wait" }).click();
    await page.getByRole("button", { name: "Resume" }).click();
    await page.getByText("2 enrollments running now").waitFor();
    await shot(page, "journey-confirm-en");
    await page.getByRole("button", { name: "Yes, go ahead" }).click();
    await page.getByRole("status").filter({ hasText: "Resumed." }).waitFor();
    await page.getByLabel("From").selectOption("1");
    await page.getByLabel("To", { exact: true }).selectOption("2");
    await page.getByRole("button", { name: "Show the difference" }).click();
    await page.locator(".diff ins").first().waitFor();
    await shot(page, "journey-en");

    await page.getByLabel("Language").selectOption("ja");
    await page.getByRole("button", { name: "Change language" }).click();
    await page.getByRole("heading", { name: "ジャーニーマップ" }).waitFor();
    expect(await page.locator("figure.graph-scroll figcaption").textContent()).toContain(
      "ジャーニーのグラフ",
    );
    await shot(page, "journey-ja");
    await page.getByRole("link", { name: "ジャーニー", exact: true }).click();
    await page.getByRole("columnheader", { name: "ゴール達成率" }).waitFor();
    await shot(page, "journeys-ja");

    // Simulate from the journey page and read the per-step counts.
    await page.goto(`${url}/app/journeys/onboarding-call`);
    await page.getByRole("link", { name: "誰に何が届くかをシミュレーション" }).click();
    await page.getByLabel("シミュレーションする合成アカウント数").fill("200");
    await page.getByLabel("公開中のバージョンと比較").check();
    await page.getByRole("button", { name: "シミュレーションを実行" }).click();
    await page.getByRole("heading", { name: "ステップごとのタッチ" }).waitFor();
    await page.locator('#touches-per-day[data-drawn="true"]').waitFor();
    // The draft dropped the call: no escalations now, the welcome per step beside the live version.
    await page.getByText("この期間のエスカレーションはありません。").waitFor();
    expect(await page.getByRole("row", { name: /^hello/ }).count()).toBe(1);
    await shot(page, "journey-simulate-ja");

    const tablet = await newPage("en-US", { width: 768, height: 1024 });
    await tablet.goto(`${url}/app/sign-in`);
    await tablet.getByLabel("Email").fill("vera@studio.example");
    await tablet.getByLabel("Password").fill(PASSWORD);
    await tablet.getByRole("button", { name: "Sign in" }).click();
    await tablet.getByRole("navigation").waitFor();
    await tablet.goto(`${url}/app/journeys/onboarding-call/simulate?run=1&count=200&days=60&compare=1`);
    await tablet.locator('#touches-per-day[data-drawn="true"]').waitFor();
    await shot(tablet, "journey-simulate-tablet-en");
    await tablet.goto(`${url}/app/journeys/every-step`);
    await tablet.getByRole("heading", { name: "Journey map" }).waitFor();
    await shot(tablet, "journey-every-step-tablet");
    expect(cspViolations).toEqual([]);
  }, 180_000);
});
