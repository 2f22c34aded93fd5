import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Account, type AccountDetail, findAccountRow } from "../apps/core/accounts/accounts";
import type { Contact } from "../apps/core/accounts/contacts";
import { accountHealth, accounts } from "../db/schema";
import { startTestStack, type TestStack, type TestWorkspace } from "./harness";

let stack: TestStack;
let ws: TestWorkspace;

beforeAll(async () => {
  stack = await startTestStack();
  ws = await stack.newWorkspace();
});
afterAll(() => stack?.close());

const acme = {
  name: "Acme KK",
  tier: "tech_touch",
  arr: 1_200_000,
  licenses: 50,
  contractStart: "2026-04-01",
  renewalDate: "2027-03-31",
  lifecycleStage: "onboarding",
  ownerCsm: "hanako@vendor.example",
  timezone: "Asia/Tokyo",
  attributes: { plan: "business" },
};

describe("accounts", () => {
  it("creates an account with PUT (201) and replaces it with a second PUT (200)", async () => {
    const created = await ws.request("PUT", "/v1/accounts/acme", acme);
    expect(created.status).toBe(201);
    const body = (await created.json()) as Account;
    expect(body).toMatchObject({
      externalId: "acme",
      name: "Acme KK",
      arr: 1_200_000,
      renewalDate: "2027-03-31",
    });

    const replaced = await ws.request("PUT", "/v1/accounts/acme", {
      ...acme,
      name: "Acme Corp",
      licenses: 60,
    });
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toMatchObject({
      name: "Acme Corp",
      licenses: 60,
      createdAt: body.createdAt,
    });
  });

  it("gets one account by its external id", async () => {
    const res = await ws.request("GET", "/v1/accounts/acme");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      externalId: "acme",
      tier: "tech_touch",
      timezone: "Asia/Tokyo",
    });
  });

  it("shows one account's current health with its 7- and 28-day trend and measures; the list only the score", async () => {
    const own = await stack.newWorkspace();
    expect((await own.request("PUT", "/v1/accounts/healthy", { name: "Healthy KK" })).status).toBe(201);
    const before = (await (await own.request("GET", "/v1/accounts/healthy")).json()) as AccountDetail;
    expect(before.health).toBeNull();

    // What a scoring run leaves behind: a line of scores, the latest one also on the account.
    const { db } = stack.database;
    const row = await findAccountRow(db, own.workspaceId, "healthy");
    const now = Date.now();
    const daysAgo = (days: number) => new Date(now - days * 86_400_000);
    const measures = { deployment: { value: 0.9, score: 100 }, engagement: { value: 3, score: 50 } };
    await db.insert(accountHealth).values(
      [
        { at: daysAgo(30), score: 40, band: "red" as const },
        { at: daysAgo(8), score: 60, band: "yellow" as const },
        { at: daysAgo(0), score: 75, band: "green" as const },
      ].map(({ at, score, band }) => ({
        workspaceId: own.workspaceId,
        accountId: row?.id ?? "",
        computedAt: at,
        score,
        band,
        measures,
      })),
    );
    await db
      .update(accounts)
      .set({ healthScore: 75, healthBand: "green", healthComputedAt: daysAgo(0) })
      .where(eq(accounts.id, row?.id ?? ""));

    const one = (await (await own.request("GET", "/v1/accounts/healthy")).json()) as AccountDetail;
    expect(one.health).toEqual({
      score: 75,
      band: "green",
      computedAt: daysAgo(0).toISOString(),
      trend: { days7: 15, days28: 35 },
      measures,
    });
    const list = (await (await own.request("GET", "/v1/accounts")).json()) as { data: Account[] };
    expect(list.data.map((a) => a.health)).toEqual([
      { score: 75, band: "green", computedAt: daysAgo(0).toISOString() },
    ]);
  });

  it("patches some fields, merging attributes key by key", async () => {
    const res = await ws.request("PATCH", "/v1/accounts/acme", {
      lifecycleStage: "adoption",
      attributes: { region: "apac" },
    });
    expect(res.status).toBe(200);
    const account = (await res.json()) as Account;
    expect(account.lifecycleStage).toBe("adoption");
    expect(account.attributes).toEqual({ plan: "business", region: "apac" });
    expect(account.name).toBe("Acme Corp");
  });

  it("lists accounts a page at a time with a cursor, in externalId order", async () => {
    const other = await stack.newWorkspace();
    for (const id of ["c", "a", "e", "b", "d"]) {
      expect((await other.request("PUT", `/v1/accounts/${id}`, { name: id.toUpperCase() })).status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await other.request("GET", `/v1/accounts?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { data: Account[]; nextCursor: string | null };
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((a) => a.externalId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("filters the list by stage and tier", async () => {
    await ws.request("PUT", "/v1/accounts/globex", {
      name: "Globex",
      tier: "high_touch",
      lifecycleStage: "renewal",
    });
    const res = await ws.request("GET", "/v1/accounts?stage=renewal");
    const page = (await res.json()) as { data: Account[] };
    expect(page.data.map((a) => a.externalId)).toEqual(["globex"]);
    const byTier = (await (await ws.request("GET", "/v1/accounts?tier=tech_touch")).json()) as {
      data: Account[];
    };
    expect(byTier.data.map((a) => a.externalId)).toEqual(["acme"]);
  });

  it("never shows one workspace's accounts to another workspace's key", async () => {
    const stranger = await stack.newWorkspace("Stranger");
    const res = await stranger.request("GET", "/v1/accounts/acme");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const list = (await (await stranger.request("GET", "/v1/accounts")).json()) as { data: Account[] };
    expect(list.data).toEqual([]);
    expect((await stranger.request("PATCH", "/v1/accounts/acme", { name: "Hijacked" })).status).toBe(404);
    expect((await stranger.request("GET", "/v1/accounts/acme/contacts")).status).toBe(404);
  });
});

describe("contacts", () => {
  it("upserts contacts under an account and lists them", async () => {
    const created = await ws.request("PUT", "/v1/accounts/acme/contacts/u-1", {
      email: "taro@acme.example",
      name: "山田 太郎",
      role: "admin",
      locale: "ja",
      timezone: "Asia/Tokyo",
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      externalId: "u-1",
      account: "acme",
      name: "山田 太郎",
      role: "admin",
    });

    const updated = await ws.request("PUT", "/v1/accounts/acme/contacts/u-1", {
      email: "taro@acme.example",
      role: "champion",
    });
    expect(updated.status).toBe(200);
    await ws.request("PUT", "/v1/accounts/acme/contacts/u-2", { email: "jiro@acme.example" });

    const list = await ws.request("GET", "/v1/accounts/acme/contacts");
    const page = (await list.json()) as { data: Contact[] };
    expect(page.data.map((c) => [c.externalId, c.role, c.locale])).toEqual([
      ["u-1", "champion", "en"],
      ["u-2", "user", "en"],
    ]);
  });

  it("answers 404 for contacts of an account that does not exist", async () => {
    const res = await ws.request("PUT", "/v1/accounts/nope/contacts/u-1", { email: "x@y.example" });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { detail: string }).detail).toContain("nope");
  });
});
