import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountHealth, accounts, contacts, suppressions } from "../db/schema";
import { addPerson, ORIGIN, type Role, sessionCookie } from "./console-harness";
import { startTestStack, type TestStack, type TestWorkspace } from "./harness";

/** The accounts list and the account page through `app.request`: access, filters, paging, content. */

let stack: TestStack;
let ws: TestWorkspace;
let other: TestWorkspace;
let viewer: string;
let csm: string;
let stranger: string;
/** On a PostgreSQL server people of earlier runs remain: this run's people have addresses of their own. */
const RUN = `${process.pid}-${Date.now().toString(36)}`;
const VERA = `vera-${RUN}@accounts.example`;
const CARL = `carl-${RUN}@accounts.example`;
const OLGA = `olga-${RUN}@other.example`;

const signIn = (email: string) => sessionCookie(stack.app, email);

const person = (workspace: TestWorkspace, email: string, role: Role) =>
  addPerson(stack, workspace.workspaceId, email, role);

const get = (path: string, cookie: string, headers: Record<string, string> = {}) =>
  stack.app.request(path, { headers: { cookie, ...headers } });

async function html(path: string, cookie = viewer): Promise<string> {
  const res = await get(path, cookie);
  expect(res.status, path).toBe(200);
  return res.text();
}

/** The account names of a list page, in order. */
function names(page: string): string[] {
  return [...page.matchAll(/<th scope="row"><a href="\/app\/accounts\/[^"]+">([^<]+)<\/a>/g)].map(
    (m) => m[1] as string,
  );
}

function isoDay(daysFromNow: number): string {
  return new Date(Date.now() + daysFromNow * 86_400_000).toISOString().slice(0, 10);
}

async function putAccount(id: string, body: Record<string, unknown>) {
  const res = await ws.request("PUT", `/v1/accounts/${id}`, body);
  expect(res.status, id).toBe(201);
}

async function setHealth(id: string, score: number, band: "red" | "yellow" | "green") {
  await stack.database.db
    .update(accounts)
    .set({ healthScore: score, healthBand: band, healthComputedAt: new Date() })
    .where(and(eq(accounts.workspaceId, ws.workspaceId), eq(accounts.externalId, id)));
}

beforeAll(async () => {
  stack = await startTestStack();
  ws = await stack.newWorkspace("Accounts Co");
  other = await stack.newWorkspace("Other Co");
  await person(ws, VERA, "viewer");
  await person(ws, CARL, "csm");
  await person(other, OLGA, "admin");
  viewer = await signIn(VERA);
  csm = await signIn(CARL);
  stranger = await signIn(OLGA);

  await putAccount("acme", {
    name: "Acme Corp",
    tier: "high_touch",
    lifecycleStage: "adoption",
    ownerCsm: "carl@accounts.example",
    arr: 120000,
    renewalDate: isoDay(20),
    contacts: [
      { externalId: "ann", email: "ann@acme.example", name: "Ann Admin", role: "admin" },
      { externalId: "bob", email: "bob@acme.example", name: "Bob User", role: "user" },
    ],
  });
  await putAccount("beta", {
    name: "Beta Ltd",
    tier: "high_touch",
    lifecycleStage: "onboarding",
    renewalDate: isoDay(100),
  });
  await putAccount("gamma", {
    name: "Gamma Inc",
    tier: "tech_touch",
    lifecycleStage: "renewal",
    ownerCsm: "carl@accounts.example",
    renewalDate: isoDay(45),
  });
  await setHealth("acme", 35, "red");
  await setHealth("beta", 82, "green");
  await setHealth("gamma", 30, "red");
  // 60 more, to page through.
  await stack.database.db.execute(sql`
    insert into accounts (workspace_id, external_id, name, tier, lifecycle_stage)
    select ${ws.workspaceId}, 'bulk-' || lpad(g::text, 3, '0'), 'Zeta ' || lpad(g::text, 3, '0'), 'low_touch', 'expansion'
    from generate_series(1, 60) g
  `);
  await ws.request("PUT", "/v1/accounts/acme/renewals/2025-06-30", { arrBefore: 100000, arrAfter: 120000 });

  const [acme] = await stack.database.db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, ws.workspaceId), eq(accounts.externalId, "acme")));
  const acmeId = acme?.id as string;
  const day = (n: number) => new Date(Date.now() - n * 86_400_000);
  const measures = (s: number) => ({
    deployed: { value: 0.5, score: s },
    active: { value: 0.3, score: s - 5 },
    touch_score: { value: 0.2, score: s - 10 },
  });
  await stack.database.db.insert(accountHealth).values([
    {
      workspaceId: ws.workspaceId,
      accountId: acmeId,
      computedAt: day(20),
      score: 60,
      band: "yellow",
      measures: measures(60),
    },
    {
      workspaceId: ws.workspaceId,
      accountId: acmeId,
      computedAt: day(10),
      score: 45,
      band: "yellow",
      measures: measures(45),
    },
    {
      workspaceId: ws.workspaceId,
      accountId: acmeId,
      computedAt: day(1),
      score: 35,
      band: "red",
      measures: measures(35),
    },
  ]);
  const [bob] = await stack.database.db
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(eq(contacts.accountId, acmeId), eq(contacts.externalId, "bob")));
  await stack.database.db.insert(suppressions).values({
    workspaceId: ws.workspaceId,
    contactId: bob?.id as string,
    category: "product_tips",
    source: "api",
  });
  const events = Array.from({ length: 25 }, (_, i) => ({
    id: `acme-login-${i}`,
    account: "acme",
    contact: "ann",
    name: "login",
    occurredAt: new Date(Date.now() - (i + 1) * 3_600_000).toISOString(),
  }));
  expect((await ws.request("POST", "/v1/events", { events })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe("accounts list", () => {
  it("sends a signed-out visitor to sign in", async () => {
    for (const path of ["/app/accounts", "/app/accounts/acme", "/app/accounts/acme/timeline"]) {
      const res = await stack.app.request(path);
      expect(res.status, path).toBe(302);
      expect(res.headers.get("location"), path).toBe("/app/sign-in");
    }
  });

  it("shows every account's tier, stage, health, ARR, owner and renewal date to a viewer", async () => {
    const page = await html("/app/accounts");
    expect(page).toContain("63</strong> accounts");
    expect(names(page).slice(0, 3)).toEqual(["Acme Corp", "Beta Ltd", "Gamma Inc"]);
    expect(page).toContain("High touch");
    expect(page).toContain("35 · Red");
    expect(page).toContain("120,000");
    expect(page).toContain("carl@accounts.example");
    expect(page).toContain('<label for="filter-tier">Tier</label>');
  });

  it("filters by tier, band, stage, owner, renewal window and name", async () => {
    expect(names(await html("/app/accounts?tier=high_touch&band=red"))).toEqual(["Acme Corp"]);
    expect(names(await html("/app/accounts?band=red"))).toEqual(["Acme Corp", "Gamma Inc"]);
    expect(names(await html("/app/accounts?stage=onboarding"))).toEqual(["Beta Ltd"]);
    expect(names(await html("/app/accounts?owner=carl%40accounts.example"))).toEqual([
      "Acme Corp",
      "Gamma Inc",
    ]);
    expect(names(await html("/app/accounts?renewal=30"))).toEqual(["Acme Corp"]);
    expect(names(await html("/app/accounts?renewal=60"))).toEqual(["Acme Corp", "Gamma Inc"]);
    expect(names(await html("/app/accounts?renewal=120"))).toEqual(["Acme Corp", "Beta Ltd", "Gamma Inc"]);
    expect(names(await html("/app/accounts?q=amm"))).toEqual(["Gamma Inc"]);
    expect(names(await html("/app/accounts?q=%25"))).toEqual([]);
    expect(names(await html("/app/accounts?band=none&q=Zeta%20001"))).toEqual(["Zeta 001"]);
    const none = await html("/app/accounts?tier=tech_touch&band=green");
    expect(none).toContain("No account matches these filters.");
  });

  it("pages by 50 and its links keep the filters", async () => {
    const first = await html("/app/accounts?tier=low_touch");
    expect(names(first)).toHaveLength(50);
    expect(first).toContain('href="/app/accounts?tier=low_touch&amp;page=2"');
    const second = await html("/app/accounts?tier=low_touch&page=2");
    expect(names(second)).toEqual(
      Array.from({ length: 10 }, (_, i) => `Zeta ${String(51 + i).padStart(3, "0")}`),
    );
    expect(second).toContain('href="/app/accounts?tier=low_touch"');
    expect(second).toContain("Page 2 of 2");
    expect(names(await html("/app/accounts?tier=low_touch&page=9"))).toEqual([]);
  });

  it("ignores filter values it does not know instead of failing", async () => {
    for (const query of [
      "tier=platinum",
      "band=%3Cscript%3E",
      "stage=",
      "renewal=7",
      "page=-3",
      "page=abc",
      "page=99999999999",
      "owner=",
      `q=${"x".repeat(500)}`,
      "tier=high_touch&tier=low_touch",
      "q=%00",
      "owner=a%00b",
      "q=%E0%A4%A",
    ]) {
      const res = await get(`/app/accounts?${query}`, viewer);
      expect(res.status, query).toBe(200);
    }
    expect(names(await html("/app/accounts?tier=platinum")).length).toBe(50);
  });

  it("answers htmx with the results alone", async () => {
    const res = await get("/app/accounts?band=green", viewer, { "HX-Request": "true" });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).not.toContain("<html");
    expect(body).toContain('id="account-results"');
    expect(names(body)).toEqual(["Beta Ltd"]);
  });

  it("shows another workspace only its own accounts", async () => {
    const page = await html("/app/accounts", stranger);
    expect(page).toContain("0</strong> accounts");
    expect(page).not.toContain("Acme Corp");
  });
});

describe("account page", () => {
  it("answers 404 for an unknown account and for another workspace's", async () => {
    for (const [path, cookie] of [
      ["/app/accounts/nope", viewer],
      ["/app/accounts/acme", stranger],
      ["/app/accounts/acme/timeline?cursor=", stranger],
    ] as const) {
      const res = await get(path, cookie, path.includes("timeline") ? { "HX-Request": "true" } : {});
      expect(res.status, path).toBe(404);
    }
    expect(await (await get("/app/accounts/acme", stranger)).text()).toContain("Account not found");
    for (const id of ["%", "a%00b", "%E0%A4%A", "x".repeat(3000), "..%2F..%2Fetc"]) {
      const res = await get(`/app/accounts/${id}`, viewer);
      expect(res.status, id).toBe(404);
    }
  });

  it("shows the summary, health with its measures and chart, contacts, renewals and timeline", async () => {
    const page = await html("/app/accounts/acme");
    expect(page).toContain("<h1>Acme Corp</h1>");
    expect(page).toContain("High touch");
    expect(page).toContain("Adoption");
    expect(page).toContain("120,000");
    expect(page).toContain("35 · Red");
    for (const words of ["Deployment", "Adoption", "Engagement", "Licenses activated (goal 80%)"])
      expect(page).toContain(words);
    const spec = JSON.parse((/data-chart="([^"]+)"/.exec(page)?.[1] ?? "{}").replaceAll("&quot;", '"')) as {
      kind: string;
      range: number[];
      series: { data: number[] }[];
    };
    expect(spec).toMatchObject({ kind: "line", range: [0, 100], series: [{ data: [60, 45, 35] }] });
    expect(page).toContain("Ann Admin");
    expect(page).toContain("Subscribed to everything");
    expect(page).toContain("Unsubscribed from product_tips");
    expect(page).toContain("Expanded");
    expect(page).toContain("Event</strong> login");
    expect(page).toContain("Older entries");
    // A viewer may not change the stage.
    expect(page).not.toContain("Change stage");
  });

  it("pages the timeline: htmx gets the older entries, a bad cursor is a 400", async () => {
    const page = await html("/app/accounts/acme");
    const cursor = /hx-get="\/app\/accounts\/acme\/timeline\?cursor=([^"]+)"/.exec(page)?.[1] ?? "";
    expect(cursor).not.toBe("");
    const older = await get(`/app/accounts/acme/timeline?cursor=${cursor}`, viewer, { "HX-Request": "true" });
    expect(older.status).toBe(200);
    const fragment = await older.text();
    expect(fragment).not.toContain("<html");
    expect(fragment).toContain("Event</strong> login");
    // Without script the link opens the whole page from there.
    expect(await html(`/app/accounts/acme?timeline=${cursor}`)).toContain("<h1>Acme Corp</h1>");
    const bad = await get("/app/accounts/acme/timeline?cursor=garbage", viewer, { "HX-Request": "true" });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("not valid");
    expect((await get("/app/accounts/acme?timeline=garbage", viewer)).status).toBe(200);
  });

  it("lets a CSM change the stage, not a viewer", async () => {
    const post = (cookie: string, stage: string, id = "beta") =>
      stack.app.request(`/app/accounts/${id}/stage`, {
        method: "POST",
        body: new URLSearchParams({ stage }),
        headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN, cookie },
      });
    expect((await post(viewer, "adoption")).status).toBe(403);
    expect((await post(csm, "nonsense")).status).toBe(422);
    expect((await post(stranger, "adoption")).status).toBe(404);
    const res = await post(csm, "adoption");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/app/accounts/beta?stage-changed");
    const page = await html("/app/accounts/beta?stage-changed", csm);
    expect(page).toContain("Stage changed.");
    expect(page).toContain("Onboarding → Adoption");
  });

  it("speaks Japanese", async () => {
    await stack.app.request("/app/language", {
      method: "POST",
      body: new URLSearchParams({ locale: "ja", next: "/app/accounts" }),
      headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN, cookie: viewer },
    });
    const list = await html("/app/accounts?band=red");
    expect(list).toContain("ハイタッチ");
    expect(list).toContain("35 · 赤");
    const page = await html("/app/accounts/acme");
    expect(page).toContain("指標");
    expect(page).toContain("すべて配信中");
    expect(page).toMatch(/\d{4}\/\d{2}\/\d{2}|\d{4}年\d{1,2}月\d{1,2}日/);
  });
});
