import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Escalation } from "../apps/core/escalations/queries";
import { addPerson, ORIGIN, type Role, sessionCookie } from "./console-harness";
import { startTestStack, type TestStack, type TestWorkspace } from "./harness";
import { seedAccounts, seedCsm, seedEscalations } from "./home-seed";

/** The console's Home at /app through `app.request`: who sees what, and the numbers it shows. */

let stack: TestStack;
let ws: TestWorkspace;
let empty: TestWorkspace;

const signIn = (email: string) => sessionCookie(stack.app, email);

const person = (w: TestWorkspace, email: string, role: Role) =>
  addPerson(stack, w.workspaceId, email, role, email);

async function home(email: string, path = "/app", language = "en") {
  const cookie = await signIn(email);
  if (language !== "en")
    await stack.app.request("/app/language", {
      method: "POST",
      body: new URLSearchParams({ locale: language, next: "/app" }),
      headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN, cookie },
    });
  const res = await stack.app.request(path, { headers: { cookie } });
  return { status: res.status, html: await res.text() };
}

/** The text of the section under the heading with this id (up to the next section). */
function section(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  expect(start, id).toBeGreaterThan(-1);
  const end = html.indexOf("</section>", start);
  return html.slice(start, end);
}

/** A band's row: its now, before and change cells. */
function bandRow(html: string, band: string): string[] {
  const bands = section(html, "home-bands");
  const row = bands.slice(bands.indexOf(`href="/app/accounts?band=${band}"`));
  return [...row.slice(0, row.indexOf("</tr>")).matchAll(/<td class="num">([^<]*)<\/td>/g)].map(
    (m) => m[1] ?? "",
  );
}

beforeAll(async () => {
  stack = await startTestStack({ outboundAllow: [] });
  ws = await stack.newWorkspace("Home Co");
  empty = await stack.newWorkspace("Empty Co");
  const now = new Date();
  await seedAccounts(stack, ws, now);
  await seedEscalations(stack, ws, now, [
    {
      account: "hoshi",
      assignee: "cal@home.example",
      reason: "Renewal at risk",
      priority: "medium",
      dueInHours: 50,
    },
    {
      account: "acme",
      assignee: "cal@home.example",
      reason: "Champion left",
      priority: "urgent",
      dueInHours: -5,
    },
    {
      account: "nami",
      assignee: "cal@home.example",
      reason: "Usage dropped 40%",
      priority: "high",
      dueInHours: 6,
    },
    {
      account: "kumo",
      assignee: "ben@home.example",
      reason: "Asked for a call",
      priority: "low",
      dueInHours: 3,
    },
    { account: "sora", assignee: null, reason: "No login in 30 days", priority: "medium", dueInHours: 30 },
    // More than Home shows for one CSM.
    ...Array.from({ length: 26 }, (_, i) => ({
      account: "yama",
      assignee: "max@home.example",
      reason: `Follow-up ${i + 1}`,
      priority: "low" as const,
      dueInHours: 100 + i,
    })),
  ]);
  await seedCsm(stack, ws, "cal@home.example", "Asia/Tokyo");
  await person(ws, "ada@home.example", "admin");
  await person(ws, "vic@home.example", "viewer");
  await person(ws, "cal@home.example", "csm");
  await person(ws, "pia@home.example", "csm");
  await person(ws, "max@home.example", "csm");
  await person(empty, "eve@empty.example", "viewer");
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

describe("console Home", () => {
  it("sends a signed-out visitor to sign in", async () => {
    const res = await stack.app.request("/app");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/app/sign-in");
  });

  it("shows every role its four sections under one Home heading", async () => {
    for (const email of ["vic@home.example", "cal@home.example", "ada@home.example"]) {
      const { status, html } = await home(email);
      expect(status, email).toBe(200);
      expect(html).toContain("<h1>Home</h1>");
      for (const id of ["home-bands", "home-renewals", "home-retention"])
        expect(html, email).toContain(`id="${id}"`);
      expect(html).toMatch(/id="home-(mine|all)"/);
      expect(html).not.toContain("Sign out everywhere");
    }
  });

  it("counts accounts by health band now and a week ago, with the change and a link to each band", async () => {
    const { html } = await home("vic@home.example");
    expect(bandRow(html, "red")).toEqual(["2", "1", "+1"]);
    expect(bandRow(html, "yellow")).toEqual(["2", "2", "0"]);
    expect(bandRow(html, "green")).toEqual(["3", "3", "0"]);
    expect(bandRow(html, "unscored")).toEqual(["1", "2", "−1"]);
  });

  it("lists the renewals of the next 120 days soonest first with ARR and health, linking each account", async () => {
    const renewals = section((await home("vic@home.example")).html, "home-renewals");
    expect(renewals).toContain("6 renewals in the next 120 days.");
    const order = [
      "Kumo Analytics",
      "Acme Logistics",
      "Hoshi Foods",
      "Kaze Studio",
      "Nami Travel",
      "Sora Robotics",
    ];
    const at = order.map((name) => renewals.indexOf(`>${name}</a>`));
    expect(at.every((i) => i > -1)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(renewals).not.toContain("Tsuki Media");
    expect(renewals).not.toContain("Yama Outdoor");
    expect(renewals).toContain('href="/app/accounts/kumo"');
    expect(renewals).toContain("96,000");
    expect(renewals).toContain("84 · Green");
    expect(renewals).toContain("Not scored");
  });

  it("charts GRR and NRR of the last 8 quarters, and says so when no renewal was recorded", async () => {
    const retention = section((await home("vic@home.example")).html, "home-retention");
    const json = /data-chart="([^"]*)"/.exec(retention)?.[1] ?? "";
    const spec = JSON.parse(json.replaceAll("&quot;", '"')) as {
      kind: string;
      percent: boolean;
      labels: string[];
      series: { label: string; data: (number | null)[] }[];
    };
    expect(spec.kind).toBe("line");
    expect(spec.percent).toBe(true);
    expect(spec.labels).toHaveLength(8);
    expect(spec.labels.at(-1)).toMatch(/^Q[1-4] \d{4}$/);
    expect(spec.series.map((s) => s.label)).toEqual(["GRR", "NRR"]);
    // Six quarters back: acme 180k → 200k and hoshi 170k → 170k: GRR 100%, NRR 350/370.
    const [grr, nrr] = spec.series;
    expect(grr?.data[1]).toBe(1);
    expect(nrr?.data[1]).toBeCloseTo(370_000 / 350_000, 3);
    // Four quarters back: tsuki churned 12k of 152k.
    expect(grr?.data[3]).toBeCloseTo(140_000 / 152_000, 3);
    expect(grr?.data[0]).toBeNull();
    expect(retention).toContain("GRR and NRR as a table");

    const none = await home("eve@empty.example");
    expect(section(none.html, "home-retention")).toContain("No renewals recorded yet.");
    expect(section(none.html, "home-renewals")).toContain("No renewals in the next 120 days.");
    expect(section(none.html, "home-all")).toContain("No open escalations.");
  });

  it("shows a CSM their own open escalations soonest first, breached marked, times in their CSM time zone", async () => {
    const mine = section((await home("cal@home.example")).html, "home-mine");
    const order = ["Champion left", "Usage dropped 40%", "Renewal at risk"].map((r) => mine.indexOf(r));
    expect(order.every((i) => i > -1)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(mine).not.toContain("Asked for a call");
    expect(mine).not.toContain("No login in 30 days");
    expect(mine.match(/badge-breached/g)).toHaveLength(1);
    expect(mine).toContain("Times in Asia/Tokyo");
    expect(mine).toContain('href="/app/inbox"');
    const { data } = (await (
      await ws.request("GET", "/v1/escalations?assignee=cal@home.example")
    ).json()) as {
      data: Escalation[];
    };
    const due = data.find((e) => e.reason === "Renewal at risk")?.dueAt ?? "";
    const tokyo = new Intl.DateTimeFormat("en", {
      dateStyle: "medium",
      timeStyle: "short",
      timeZone: "Asia/Tokyo",
    });
    expect(mine).toContain(tokyo.format(new Date(due)));
    expect(mine).toMatch(/in (2 days|49 hours|50 hours)/);
    expect(mine).toMatch(/(\d+) hours ago/);
  });

  it("tells a CSM without a CSM record or escalations that nothing is open for them", async () => {
    const mine = section((await home("pia@home.example")).html, "home-mine");
    expect(mine).toContain("Nothing open for you.");
  });

  it("shows a CSM the 25 soonest of their escalations and says the inbox has the rest", async () => {
    const mine = section((await home("max@home.example")).html, "home-mine");
    expect(mine).toContain("Follow-up 25<");
    expect(mine).not.toContain("Follow-up 26<");
    expect(mine).toContain("The 25 soonest are shown; the inbox has them all.");
    expect(mine).toContain("Times in UTC");
  });

  it("shows other roles the workspace's open escalations by tier and the 5 nearest deadlines", async () => {
    const all = section((await home("ada@home.example")).html, "home-all");
    const tiers = [
      ...all.matchAll(/<th scope="row">([^<]+)<\/th><td class="num">(\d+)<\/td><td class="num">(\d+)<\/td>/g),
    ].map((m) => m.slice(1).join(" "));
    expect(tiers).toEqual(["High touch 28 1", "Low touch 2 0", "Tech touch 1 0"]);
    const order = [
      "Champion left",
      "Asked for a call",
      "Usage dropped 40%",
      "No login in 30 days",
      "Renewal at risk",
    ];
    const at = order.map((r) => all.indexOf(r));
    expect(at.every((i) => i > -1)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(all).toContain("ben@home.example");
    expect(all).toContain("Nobody");
  });

  it("shows times on every page in the person's zone: their CSM record's, else the workspace's default", async () => {
    const { data } = (await (
      await ws.request("GET", "/v1/escalations?assignee=cal@home.example")
    ).json()) as { data: Escalation[] };
    const due = new Date(data.find((e) => e.reason === "Renewal at risk")?.dueAt ?? "");
    const inZone = (timeZone: string) =>
      new Intl.DateTimeFormat("en", {
        year: "numeric",
        month: "short",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        timeZone,
        timeZoneName: "short",
      }).format(due);
    const tokyo = inZone("Asia/Tokyo");
    expect(tokyo).toContain("GMT+9");
    expect((await home("cal@home.example", "/app/accounts/hoshi")).html).toContain(tokyo);
    // Someone without a CSM record reads the workspace's default zone, named.
    const before = await (await ws.request("GET", "/v1/settings")).json();
    const put = await ws.request("PUT", "/v1/settings", {
      delivery: { defaultTimezone: "America/New_York" },
    });
    expect(put.status).toBe(200);
    try {
      const account = (await home("ada@home.example", "/app/accounts/hoshi")).html;
      expect(account).toContain(inZone("America/New_York"));
      expect(account).not.toContain(tokyo);
      expect(section((await home("ada@home.example")).html, "home-all")).toContain(
        "Times in America/New_York",
      );
    } finally {
      expect((await ws.request("PUT", "/v1/settings", before)).status).toBe(200);
    }
  });

  it("speaks Japanese with Japanese dates and numbers", async () => {
    const { html } = await home("cal@home.example", "/app", "ja");
    expect(html).toContain('<html lang="ja">');
    expect(html).toContain("<h1>ホーム</h1>");
    expect(html).toContain("担当中のエスカレーション");
    expect(html).toContain("ヘルスバンド別のアカウント");
    expect(html).toContain("今後 120 日以内の更新は 6 件です。");
    expect(html).toContain("SLA 超過");
    expect(html).toMatch(/\d{4}年 Q[1-4]/);
    expect(html).toMatch(/\d+ 時間前/);
    expect(html).toMatch(/<time datetime="\d{4}-\d{2}-\d{2}">\d{4}\/\d{2}\/\d{2}<\/time>/);
  });

  it("shows only the signed-in person's workspace, and ignores query parameters it does not know", async () => {
    const { status, html } = await home("eve@empty.example", "/app?band=purple&page=-1&%ZZ");
    expect(status).toBe(200);
    expect(html).not.toContain("Acme Logistics");
    expect(bandRow(html, "red")).toEqual(["0", "0", "0"]);
    expect(bandRow(html, "unscored")).toEqual(["0", "0", "0"]);
  });
});
