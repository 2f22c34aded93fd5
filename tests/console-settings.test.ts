import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import { eq } from "drizzle-orm";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAccountRow } from "../apps/core/accounts/accounts";
import { accountHealth, accounts } from "../db/schema";
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
import { startTestStack, type TestStack, type TestWorkspace } from "./harness";

/**
 * Settings (issue 18 item 6): through `app.request` for access per role, each form's save and its
 * refusal at the field, API keys and the scorecard's band preview; and in real Chromium as an admin
 * uses it. Screenshots go to .volante/screenshots/.
 */

let stack: TestStack;
let ws: TestWorkspace;
let other: TestWorkspace;
let browser: Browser;
let server: Server;
let url: string;
const cookies: Record<string, string> = {};
let otherAdmin: string;

const post = formPoster(() => stack.app);
const get = (path: string, cookie?: string) => stack.app.request(path, { headers: cookie ? { cookie } : {} });
const json = async <T>(res: Response) => (await res.json()) as T;

const signIn = (email: string) => sessionCookie(stack.app, email);

/** The value attribute of the input with this id in a page. */
const fieldValue = (html: string, id: string) =>
  new RegExp(`<input[^>]*id="${id}"[^>]*value="([^"]*)"`).exec(html)?.[1] ??
  new RegExp(`<input[^>]*value="([^"]*)"[^>]*id="${id}"`).exec(html)?.[1];
const invalid = (html: string, id: string) =>
  new RegExp(`<(input|select|textarea)[^>]*id="${id}"[^>]*aria-invalid="true"`).test(html);
/** The scorecard's inputs have no id (htmx settles them): found by name. */
const named = (html: string, name: string) =>
  new RegExp(`<input[^>]*name="${name.replaceAll(".", "\\.")}"[^>]*>`).exec(html)?.[0] ?? "";
const namedValue = (html: string, name: string) => /value="([^"]*)"/.exec(named(html, name))?.[1];
const namedInvalid = (html: string, name: string) => named(html, name).includes('aria-invalid="true"');

/**
 * Accounts whose last health run knew one measure, licenses activated (curve 0 → 0.8), so each one's
 * score is value / 0.8 × 100: 30, 50, 75 and 100.
 */
const FIXTURE = [
  ["low", 0.24],
  ["middle", 0.4],
  ["fine", 0.6],
  ["top", 0.8],
] as const;

async function storeHealth(workspace: TestWorkspace) {
  const { db } = stack.database;
  const at = new Date();
  for (const [id, value] of FIXTURE) {
    expect((await workspace.request("PUT", `/v1/accounts/${id}`, { name: `${id} KK` })).status).toBe(201);
    const row = await findAccountRow(db, workspace.workspaceId, id);
    const score = Math.round((value / 0.8) * 100);
    const band = score < 40 ? "red" : score < 70 ? "yellow" : "green";
    await db.insert(accountHealth).values({
      workspaceId: workspace.workspaceId,
      accountId: row?.id ?? "",
      computedAt: at,
      score,
      band,
      measures: { deployed: { value, score } },
    });
    await db
      .update(accounts)
      .set({ healthScore: score, healthBand: band, healthComputedAt: at })
      .where(eq(accounts.id, row?.id ?? ""));
  }
}

const pages = pageOpener(() => browser);
const newPage = pages.open;
const cspViolations = pages.cspViolations;

beforeAll(async () => {
  const launching = launchBrowser();
  await mkdir(SCREENSHOTS, { recursive: true });
  stack = await startTestStack();
  ws = await stack.newWorkspace("Settings Co");
  other = await stack.newWorkspace("Elsewhere");
  for (const [email, role] of [
    ["ada@settings.example", "admin"],
    ["olga@settings.example", "cs_ops"],
    ["carl@settings.example", "csm"],
    ["vera@settings.example", "viewer"],
  ] as const) {
    await addPerson(stack, ws.workspaceId, email, role);
    cookies[role] = await signIn(email);
  }
  await addPerson(stack, other.workspaceId, "oscar@elsewhere.example", "admin", "Oscar");
  otherAdmin = await signIn("oscar@elsewhere.example");
  await storeHealth(ws);
  ({ server, url } = await serveOnLoopback(stack.app));
  browser = await launching;
}, 120_000);

afterAll(() => closeBrowserSuite({ browser, server, stack }));

describe("settings page", () => {
  it("sends a signed-out visitor to sign in, refuses viewers and CSMs, and keeps API keys to admins", async () => {
    for (const path of ["/app/settings", "/app/settings/identity"]) {
      const res = path === "/app/settings" ? await get(path) : await post(path, { name: "X" }, "");
      expect(res.status, path).toBe(302);
      expect(res.headers.get("location")).toBe("/app/sign-in");
    }
    for (const role of ["viewer", "csm"]) {
      const cookie = cookies[role] as string;
      expect((await get("/app/settings", cookie)).status, role).toBe(403);
      expect((await post("/app/settings/identity", { name: "Taken over" }, cookie)).status, role).toBe(403);
      expect((await get("/app", cookie)).status).toBe(200);
      expect(await (await get("/app", cookie)).text()).not.toContain('href="/app/settings"');
    }
    const ops = await get("/app/settings", cookies.cs_ops);
    expect(ops.status).toBe(200);
    const html = await ops.text();
    expect(html).toContain('href="/app/settings" aria-current="page"');
    expect(html).toContain('id="settings-scorecard"');
    expect(html).not.toContain('id="settings-keys"');
    expect(
      (await post("/app/settings/keys", { name: "ops key", role: "admin" }, cookies.cs_ops as string)).status,
    ).toBe(403);
    const admin = await (await get("/app/settings", cookies.admin)).text();
    expect(admin).toContain('id="settings-keys"');
    expect(admin).toContain('href="/app/users"');
    // Unknown query values are ignored.
    expect((await get("/app/settings?saved=nope&csm=%00", cookies.admin)).status).toBe(200);
  });

  it("saves the workspace identity through PATCH's use case, and answers a bad colour at its field with the typed values kept", async () => {
    const cookie = cookies.cs_ops as string;
    const bad = await post(
      "/app/settings/identity",
      {
        name: "Settings Co",
        brandColor: "teal",
        senderName: "Typed Sender",
        appUrl: "https://app.settings.example",
      },
      cookie,
    );
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(invalid(html, "identity-brandColor")).toBe(true);
    expect(invalid(html, "identity-senderName")).toBe(false);
    expect(fieldValue(html, "identity-brandColor")).toBe("teal");
    expect(fieldValue(html, "identity-senderName")).toBe("Typed Sender");
    expect(html).toContain('id="identity-brandColor-error"');
    const saved = await post(
      "/app/settings/identity",
      {
        name: "Settings Co",
        brandColor: "#0f766e",
        senderName: "Settings CS",
        senderAddress: "cs@settings.example",
        appUrl: "https://app.settings.example",
        postalAddress: "1-2-3 Marunouchi\nTokyo",
      },
      cookie,
    );
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe("/app/settings?saved=identity#settings-identity");
    const identity = await json<Record<string, unknown>>(await ws.request("GET", "/v1/workspace"));
    expect(identity).toMatchObject({
      name: "Settings Co",
      brandColor: "#0f766e",
      senderName: "Settings CS",
      senderAddress: "cs@settings.example",
      logoUrl: null,
      postalAddress: "1-2-3 Marunouchi\nTokyo",
    });
    const page = await (await get("/app/settings?saved=identity", cookie)).text();
    expect(page).toContain("Saved.");
    expect(fieldValue(page, "identity-brandColor")).toBe("#0f766e");
    // Another workspace's people see their own identity, never this one.
    const elsewhere = await (await get("/app/settings", otherAdmin)).text();
    expect(elsewhere).not.toContain("Settings CS");
    expect(fieldValue(elsewhere, "identity-name")).toBe("Elsewhere");
  });

  it("saves quiet hours, a frequency cap and sender tiers through PUT's use case; a bad clock is refused at its field", async () => {
    const cookie = cookies.cs_ops as string;
    const fields = {
      "delivery.quietHours.start": "21:00",
      "delivery.quietHours.end": "25:00",
      "delivery.frequencyCap.max": "3",
      "delivery.frequencyCap.per": "P7D",
      "delivery.defaultTimezone": "Asia/Tokyo",
      "email.csmSenderTiers": ["high_touch", "low_touch"],
      "escalations.fallbackOwner": "lead@settings.example",
      "notifications.managerEmail": "",
    };
    const bad = await post("/app/settings/delivery", fields, cookie);
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(invalid(html, "delivery-quiet-end")).toBe(true);
    expect(invalid(html, "delivery-quiet-start")).toBe(false);
    expect(fieldValue(html, "delivery-quiet-end")).toBe("25:00");
    expect(fieldValue(html, "delivery-cap-per")).toBe("P7D");
    const notNumber = await post(
      "/app/settings/delivery",
      { ...fields, "delivery.quietHours.end": "07:00", "delivery.frequencyCap.max": "many" },
      cookie,
    );
    expect(notNumber.status).toBe(422);
    expect(invalid(await notNumber.text(), "delivery-cap-max")).toBe(true);
    const saved = await post(
      "/app/settings/delivery",
      { ...fields, "delivery.quietHours.end": "07:00" },
      cookie,
    );
    expect(saved.status).toBe(303);
    const settings = await json<{
      delivery: unknown;
      email: { csmSenderTiers: string[] };
      escalations: { fallbackOwner: string | null };
    }>(await ws.request("GET", "/v1/settings"));
    expect(settings.delivery).toEqual({
      quietHours: { start: "21:00", end: "07:00" },
      frequencyCap: { max: 3, per: "P7D" },
      defaultTimezone: "Asia/Tokyo",
    });
    expect(settings.email.csmSenderTiers).toEqual(["high_touch", "low_touch"]);
    expect(settings.escalations.fallbackOwner).toBe("lead@settings.example");
    // Both quiet-hour fields emptied: no quiet hours.
    const cleared = await post(
      "/app/settings/delivery",
      { ...fields, "delivery.quietHours.start": "", "delivery.quietHours.end": "" },
      cookie,
    );
    expect(cleared.status).toBe(303);
    expect(
      (await json<{ delivery: { quietHours: unknown } }>(await ws.request("GET", "/v1/settings"))).delivery
        .quietHours,
    ).toBeNull();
  });

  it("lists the paused journeys with links to their pages, where they are resumed", async () => {
    const cookie = cookies.cs_ops as string;
    expect(await (await get("/app/settings", cookie)).text()).toContain("No journey is paused.");
    const definition = {
      name: "Quiet one",
      trigger: { type: "manual" },
      steps: [{ id: "hello", type: "email", template: "onboarding-welcome", to: "role:admin" }],
    };
    expect((await ws.request("PUT", "/v1/journeys/quiet-one", definition)).status).toBeLessThan(300);
    expect((await ws.request("POST", "/v1/journeys/quiet-one/publish", {})).status).toBeLessThan(300);
    expect((await ws.request("POST", "/v1/journeys/quiet-one/pause", {})).status).toBeLessThan(300);
    const html = await (await get("/app/settings", cookie)).text();
    expect(html).toContain('<a href="/app/journeys/quiet-one">Quiet one</a>');
    expect(await (await get("/app/settings", otherAdmin)).text()).not.toContain("Quiet one");
  });

  it("speaks Japanese, refusals included", async () => {
    const cookie = `${cookies.cs_ops}; volante_lang=ja`;
    const html = await (await get("/app/settings", cookie)).text();
    for (const words of ["ワークスペース情報", "配信ポリシー", "ヘルススコアカード", "バンドをプレビュー"])
      expect(html, words).toContain(words);
    const bad = await post("/app/settings/identity", { name: "" }, cookie);
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("この値は正しくありません。");
  });

  it("lists CSMs with their open load, adds one with a capacity, edits it, and refuses a negative capacity at its field", async () => {
    const cookie = cookies.cs_ops as string;
    expect(
      (
        await ws.request("PUT", "/v1/csms/hanako@settings.example", {
          name: "Hanako",
          capacity: 5,
          tiers: ["high_touch"],
        })
      ).status,
    ).toBeLessThan(300);
    const bad = await post(
      "/app/settings/csms",
      {
        email: "taro@settings.example",
        name: "Taro",
        capacity: "-2",
        tiers: "low_touch",
        locale: "ja",
        active: "true",
      },
      cookie,
    );
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(invalid(badHtml, "csm-capacity")).toBe(true);
    expect(fieldValue(badHtml, "csm-email")).toBe("taro@settings.example");
    expect(fieldValue(badHtml, "csm-capacity")).toBe("-2");
    const noEmail = await post("/app/settings/csms", { email: "taro", capacity: "2" }, cookie);
    expect(noEmail.status).toBe(422);
    expect(invalid(await noEmail.text(), "csm-email")).toBe(true);
    const saved = await post(
      "/app/settings/csms",
      {
        email: "taro@settings.example",
        name: "Taro",
        capacity: "8",
        tiers: ["low_touch", "tech_touch"],
        locale: "ja",
        timezone: "Asia/Tokyo",
        active: "true",
      },
      cookie,
    );
    expect(saved.status).toBe(303);
    const csms = await json<{
      data: { email: string; capacity: number | null; tiers: string[]; locale: string }[];
    }>(await ws.request("GET", "/v1/csms"));
    expect(csms.data.find((c) => c.email === "taro@settings.example")).toMatchObject({
      capacity: 8,
      tiers: ["low_touch", "tech_touch"],
      locale: "ja",
    });
    const page = await (await get("/app/settings", cookie)).text();
    expect(page).toContain("Hanako");
    expect(page).toContain("Open escalations");
    const edit = await (await get("/app/settings?csm=taro%40settings.example", cookie)).text();
    expect(fieldValue(edit, "csm-capacity")).toBe("8");
    // Another workspace never lists them.
    expect(await (await get("/app/settings", otherAdmin)).text()).not.toContain("taro@settings.example");
  });

  it("creates an API key shown once that works on /v1 with its role, and revokes it after confirming", async () => {
    const cookie = cookies.admin as string;
    const empty = await post("/app/settings/keys", { name: "", role: "viewer" }, cookie);
    expect(empty.status).toBe(422);
    expect(invalid(await empty.text(), "key-name")).toBe(true);
    const created = await post("/app/settings/keys", { name: "Reporting", role: "viewer" }, cookie);
    expect(created.status).toBe(200);
    const key = fieldValue(await created.text(), "new-key") as string;
    expect(key).toMatch(/^vk_/);
    const bearer = (method: string, path: string, body?: unknown) =>
      stack.app.request(path, {
        method,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    expect((await bearer("GET", "/v1/workspace")).status).toBe(200);
    expect((await bearer("PATCH", "/v1/workspace", { name: "Viewer rename" })).status).toBe(403);
    // Shown once: the page afterwards lists the key by its start only.
    const listed = await (await get("/app/settings", cookie)).text();
    expect(listed).toContain("Reporting");
    expect(listed).not.toContain(key);
    const id =
      /\/app\/settings\/keys\/([0-9a-f-]{36})\/revoke" class="inline"><button type="submit" class="danger" aria-label="Revoke Reporting"/.exec(
        listed,
      )?.[1];
    expect(id).toBeDefined();
    // Another workspace's admin cannot reach it; a bad id is a 404, not a 500.
    expect((await post(`/app/settings/keys/${id}/revoke`, { confirmed: "yes" }, otherAdmin)).status).toBe(
      404,
    );
    expect((await post("/app/settings/keys/not-an-id/revoke", { confirmed: "yes" }, cookie)).status).toBe(
      404,
    );
    const asked = await post(`/app/settings/keys/${id}/revoke`, {}, cookie);
    expect(asked.status).toBe(200);
    expect(await asked.text()).toContain("Revoke this API key?");
    expect((await bearer("GET", "/v1/workspace")).status).toBe(200);
    const revoked = await post(`/app/settings/keys/${id}/revoke`, { confirmed: "yes" }, cookie);
    expect(revoked.status).toBe(303);
    expect((await bearer("GET", "/v1/workspace")).status).toBe(401);
    expect(await (await get("/app/settings?saved=keys-revoked", cookie)).text()).toContain(
      "The key was revoked.",
    );
  });

  it("previews how accounts fall into bands with edited thresholds, as computed by hand, then saves", async () => {
    const cookie = cookies.cs_ops as string;
    const page = await (await get("/app/settings", cookie)).text();
    const weights = Object.fromEntries(
      [...page.matchAll(/name="(measures\.\d+\.weight)"[^>]*value="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    ) as Record<string, string>;
    expect(Object.keys(weights).length).toBe(9);
    // Scores 30, 50, 75, 100: now (red < 40, yellow < 70) one red, one yellow, two green;
    // with red < 60 and yellow < 80: "middle" (50) turns red and "fine" (75) yellow.
    const preview = await post(
      "/app/settings/scorecard",
      { ...weights, "bands.red": "60", "bands.yellow": "80", intent: "preview" },
      cookie,
    );
    expect(preview.status).toBe(200);
    const html = await preview.text();
    const counts = (band: string) =>
      new RegExp(`data-band="${band}">[\\s\\S]*?data-now="(\\d+)"[\\s\\S]*?data-edited="(\\d+)"`)
        .exec(html)
        ?.slice(1, 3);
    expect(counts("red")).toEqual(["1", "2"]);
    expect(counts("yellow")).toEqual(["1", "1"]);
    expect(counts("green")).toEqual(["2", "1"]);
    expect(html).toContain('data-changed="2"');
    expect(html).toContain("middle KK");
    expect(html).toContain("fine KK");
    expect(html).not.toContain(">top KK<");
    expect(namedValue(html, "bands.red")).toBe("60");
    // With htmx, the scorecard section alone, a refusal included (htmx swaps 2xx answers only).
    const htmx = { htmx: true };
    const fragment = await post(
      "/app/settings/scorecard",
      { ...weights, "bands.red": "60", "bands.yellow": "80", intent: "preview" },
      cookie,
      htmx,
    );
    expect(fragment.status).toBe(200);
    const part = await fragment.text();
    expect(part.startsWith('<section class="card" id="settings-scorecard"')).toBe(true);
    expect(part).toContain('data-changed="2"');
    const refusedPart = await post(
      "/app/settings/scorecard",
      { ...weights, "bands.red": "x", "bands.yellow": "80", intent: "preview" },
      cookie,
      htmx,
    );
    expect(refusedPart.status).toBe(200);
    const refusedHtml = await refusedPart.text();
    expect(refusedHtml).not.toContain("<html");
    expect(namedInvalid(refusedHtml, "bands.red")).toBe(true);
    // Nothing saved by a preview.
    const stored = await json<{ scorecard: { bands: unknown }; isDefault: boolean }>(
      await ws.request("GET", "/v1/health/scorecard"),
    );
    expect(stored.isDefault).toBe(true);
    // Another workspace has no scored accounts: nothing to compare.
    const elsewhere = await post(
      "/app/settings/scorecard",
      { ...weights, "bands.red": "60", "bands.yellow": "80", intent: "preview" },
      otherAdmin,
    );
    expect(await elsewhere.text()).toContain("No account has a health score yet");

    const bad = await post(
      "/app/settings/scorecard",
      { ...weights, "bands.red": "90", "bands.yellow": "70", "measures.1.weight": "500", intent: "save" },
      cookie,
    );
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(namedInvalid(badHtml, "bands.red")).toBe(true);
    expect(namedInvalid(badHtml, "measures.1.weight")).toBe(true);
    expect(namedInvalid(badHtml, "measures.0.weight")).toBe(false);
    expect(namedValue(badHtml, "measures.1.weight")).toBe("500");
    const saved = await post(
      "/app/settings/scorecard",
      { ...weights, "bands.red": "45", "bands.yellow": "70", "measures.0.weight": "30", intent: "save" },
      cookie,
    );
    expect(saved.status).toBe(303);
    const after = await json<{
      scorecard: { bands: unknown; measures: { weight: number }[] };
      isDefault: boolean;
    }>(await ws.request("GET", "/v1/health/scorecard"));
    expect(after.isDefault).toBe(false);
    expect(after.scorecard.bands).toEqual({ red: 45, yellow: 70 });
    expect(after.scorecard.measures[0]?.weight).toBe(30);

    // The full scorecard as JSON: what the fields do not show, refused with the failing path named.
    const textarea = (html: string) => /<textarea[^>]*name="json"[^>]*>/.exec(html)?.[0] ?? "";
    const broken = await post("/app/settings/scorecard", { json: "{not json", intent: "preview" }, cookie);
    expect(broken.status).toBe(422);
    const brokenHtml = await broken.text();
    expect(textarea(brokenHtml)).toContain('aria-invalid="true"');
    expect(brokenHtml).toContain("{not json</textarea>");
    const full = { ...after.scorecard, every: "P1D", bands: { red: 45, yellow: 200 } };
    const outOfRange = await post(
      "/app/settings/scorecard",
      { json: JSON.stringify(full), intent: "save" },
      cookie,
    );
    expect(outOfRange.status).toBe(422);
    expect(await outOfRange.text()).toContain("<code> bands.yellow</code>");
    const savedJson = await post(
      "/app/settings/scorecard",
      { json: JSON.stringify({ ...full, bands: { red: 45, yellow: 70 } }), intent: "save" },
      cookie,
    );
    expect(savedJson.status).toBe(303);
    const fromJson = await json<{ scorecard: { every: string } }>(
      await ws.request("GET", "/v1/health/scorecard"),
    );
    expect(fromJson.scorecard.every).toBe("P1D");
  });

  it("is used in Chromium by an admin: brand colour and sender, a new CSM, a band preview then save, in English and Japanese", async () => {
    const page = await newPage();
    await page.goto(`${url}/app/sign-in`);
    await page.getByLabel("Email").fill("ada@settings.example");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();

    await page.getByLabel("Brand colour").fill("#7c3aed");
    await page.getByLabel("Sender name").fill("Settings Success");
    await page.getByRole("button", { name: "Save identity" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    expect(await page.getByLabel("Brand colour").inputValue()).toBe("#7c3aed");

    const csms = page.locator("#settings-csms");
    await csms.getByLabel("Email", { exact: true }).fill("kenji@settings.example");
    await csms.getByLabel("Name", { exact: true }).fill("Kenji");
    await csms.getByLabel("Capacity").fill("12");
    await csms.getByLabel("High touch").check();
    await page.getByRole("button", { name: "Save CSM" }).click();
    await page.getByRole("rowheader", { name: /Kenji/ }).waitFor();
    const kenji = page.getByRole("row", { name: /Kenji/ });
    expect(await kenji.getByRole("cell").nth(1).textContent()).toBe("12");

    // Saved before as red < 45: scores 30, 50, 75, 100 are one red, one yellow, two green.
    await page.getByLabel("Red below").fill("60");
    await page.getByRole("button", { name: "Preview bands" }).click();
    const preview = page.locator("#band-preview");
    await preview.waitFor();
    expect(await preview.locator('tr[data-band="red"] td').allTextContents()).toEqual(["1", "2"]);
    expect(await preview.locator('tr[data-band="yellow"] td').allTextContents()).toEqual(["1", "0"]);
    await preview.getByRole("link", { name: "middle KK" }).waitFor();
    await preview.scrollIntoViewIfNeeded();
    await shot(page, "settings-scorecard-preview-en");
    await page.getByRole("button", { name: "Save scorecard" }).click();
    await page.locator("#settings-scorecard").getByRole("status").filter({ hasText: "Saved." }).waitFor();
    expect(await page.getByLabel("Red below").inputValue()).toBe("60");
    await page.getByRole("button", { name: "Revoke" }).first().waitFor();
    await shot(page, "settings-en");

    await page.getByLabel("Language", { exact: true }).selectOption("ja");
    await page.getByRole("button", { name: "Change language" }).click();
    await page.getByRole("heading", { name: "設定", level: 1 }).waitFor();
    await page.getByRole("heading", { name: "ヘルススコアカード" }).waitFor();
    expect(await page.getByLabel("ブランドカラー").inputValue()).toBe("#7c3aed");
    await shot(page, "settings-ja");

    const tablet = await newPage("en-US", { width: 768, height: 1024 });
    await tablet.goto(`${url}/app/sign-in`);
    await tablet.getByLabel("Email").fill("olga@settings.example");
    await tablet.getByLabel("Password").fill(PASSWORD);
    await tablet.getByRole("button", { name: "Sign in" }).click();
    await tablet.getByRole("navigation", { name: "Main" }).waitFor();
    await tablet.goto(`${url}/app/settings`);
    await tablet.getByRole("heading", { name: "Health scorecard" }).waitFor();
    // Keyboard: the section links reach the scorecard.
    await tablet.getByRole("link", { name: "Health scorecard" }).focus();
    await tablet.keyboard.press("Enter");
    await tablet.waitForURL(/#settings-scorecard$/);
    await shot(tablet, "settings-tablet");
    expect(cspViolations).toEqual([]);
  }, 180_000);
});
