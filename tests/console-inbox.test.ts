import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAccountRow } from "../apps/core/accounts/accounts";
import { openEscalation } from "../apps/core/escalations/open";
import type { Escalation } from "../apps/core/escalations/queries";
import { accountHealth } from "../db/schema";
import { addPerson, formPoster, type Role, sessionCookie } from "./console-harness";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "./harness";

/** The inbox and the enrollment trace page through `app.request`: who may see and do what, and what they show. */

let stack: TestStack;
let ws: TestWorkspace;
let other: TestWorkspace;
const DAY_MS = 86_400_000;

let cara: string;
let vic: string;
let ada: string;
/** Escalations: Cara's (Acme), Carl's (Bolt), and one in another workspace. */
let acme: Escalation;
let bolt: Escalation;
let elsewhere: Escalation;

const post = formPoster(() => stack.app);

const get = (path: string, cookie?: string, headers: Record<string, string> = {}) =>
  stack.app.request(path, { headers: { ...(cookie ? { cookie } : {}), ...headers } });

/** A person of the workspace, signed in: their session cookie. */
async function person(w: TestWorkspace, email: string, role: Role) {
  await addPerson(stack, w.workspaceId, email, role);
  return sessionCookie(stack.app, email);
}

/** An account enrolled in a long wait, and an escalation opened on it for `assignee`. */
async function escalationFor(
  w: TestWorkspace,
  account: { externalId: string; name: string; tier?: string; arr?: number; renewalDate?: string },
  assignee: string | null,
  priority: "low" | "medium" | "high" = "medium",
  at?: Date,
): Promise<Escalation> {
  await w.request("PUT", "/v1/journeys/hold", {
    name: "Hold",
    trigger: { type: "manual" },
    steps: [{ id: "w", type: "wait", duration: "P30D" }],
  });
  await w.request("POST", "/v1/journeys/hold/publish");
  const { externalId, ...fields } = account;
  expect((await w.request("PUT", `/v1/accounts/${externalId}`, fields)).status).toBeLessThan(300);
  const enrolled = (await (
    await w.request("POST", "/v1/enrollments", { journey: "hold", account: externalId })
  ).json()) as { id: string };
  const row = await findAccountRow(stack.database.db, w.workspaceId, externalId);
  const opened = await openEscalation(stack.deps, {
    workspaceId: w.workspaceId,
    enrollmentId: enrolled.id,
    accountId: row?.id ?? "",
    tier: row?.tier ?? "tech_touch",
    escalationKey: "call:0",
    stepId: "call",
    reason: `Call ${account.name}: no login for a week`,
    priority,
    sla: "P2D",
    assignee,
    holdsJourney: false,
    at: (at ?? new Date()).toISOString(),
  });
  return (await (await w.request("GET", `/v1/escalations/${opened.id}`)).json()) as Escalation;
}

const escalation = async (w: TestWorkspace, id: string) =>
  (await (await w.request("GET", `/v1/escalations/${id}`)).json()) as Escalation;

beforeAll(async () => {
  stack = await startTestStack({ outboundAllow: [] });
  ws = await stack.newWorkspace("Inbox Co");
  other = await stack.newWorkspace("Other Co");
  await ws.request("PUT", "/v1/csms/cara@inbox.example", { name: "Cara", timezone: "Asia/Tokyo" });
  await ws.request("PUT", "/v1/csms/carl@inbox.example", { name: "Carl" });
  cara = await person(ws, "cara@inbox.example", "csm");
  vic = await person(ws, "vic@inbox.example", "viewer");
  ada = await person(ws, "ada@inbox.example", "admin");
  acme = await escalationFor(
    ws,
    { externalId: "acme", name: "Acme KK", tier: "low_touch", arr: 1234567, renewalDate: "2027-03-31" },
    "cara@inbox.example",
    "high",
  );
  bolt = await escalationFor(ws, { externalId: "bolt", name: "Bolt Inc" }, "carl@inbox.example");
  await other.request("PUT", "/v1/csms/cara@inbox.example", {});
  elsewhere = await escalationFor(other, { externalId: "far", name: "Far Away" }, "cara@inbox.example");
  const login = await ws.request("POST", "/v1/events", {
    events: [{ id: "acme-login-1", account: "acme", name: "login", occurredAt: "2026-11-20T09:00:00Z" }],
  });
  expect(login.status).toBeLessThan(300);
  // A health line for Acme: three runs over a fortnight.
  const acmeRow = await findAccountRow(stack.database.db, ws.workspaceId, "acme");
  const now = Date.now();
  await stack.database.db.insert(accountHealth).values(
    [71, 58, 42].map((score, i) => ({
      workspaceId: ws.workspaceId,
      accountId: acmeRow?.id ?? "",
      computedAt: new Date(now - (14 - i * 7) * DAY_MS),
      score,
      band: score > 60 ? ("green" as const) : ("yellow" as const),
      measures: {},
    })),
  );
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe("console inbox", () => {
  it("sends a signed-out visitor to sign in, from the inbox, its actions and the trace page", async () => {
    for (const path of ["/app/inbox", `/app/enrollments/${acme.enrollmentId}`]) {
      const res = await get(path);
      expect(res.status, path).toBe(302);
      expect(res.headers.get("location"), path).toBe("/app/sign-in");
    }
    const res = await post(`/app/inbox/${acme.id}/acknowledge`, {}, "");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/app/sign-in");
    expect((await escalation(ws, acme.id)).status).toBe("open");
  });

  it("shows a CSM their own escalations by default with the account's facts, times in their zone", async () => {
    const res = await get("/app/inbox", cara);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain("Acme KK");
    expect(html).not.toContain("Bolt Inc");
    expect(html).toContain('href="/app/accounts/acme"');
    expect(html).toContain("Call Acme KK: no login for a week");
    expect(html).toContain("1,234,567");
    expect(html).toContain("Mar 31, 2027");
    // The last login, in Tokyo: 09:00 UTC is 18:00 there.
    expect(html).toContain("Nov 20, 2026, 6:00 PM");
    expect(html).toContain(`href="/app/enrollments/${acme.enrollmentId}"`);
    expect(html).toMatch(/<option value="mine" selected/);
    expect(html).toContain("Times are in Asia/Tokyo");
    // The deadline as Cara reads it: in Tokyo.
    const due = new Intl.DateTimeFormat("en", {
      dateStyle: "medium",
      timeStyle: "short",
      timeZone: "Asia/Tokyo",
    }).format(new Date(acme.dueAt));
    expect(html).toContain(due);
    expect(html).toMatch(/in (47|48) hours/);
    // The health line as a sparkline whose label says the numbers.
    expect(html).toContain("chart-sparkline");
    expect(html).toContain("Health score over the last 90 days: 71, 58, 42");
    expect(html).toContain('hx-trigger="every 5s"');
    expect(html).toContain('aria-live="polite"');
    expect(html).toContain(">Acknowledge</button>");
    // Everyone's, sorted by priority: Acme (high) before Bolt (medium).
    const all = await (await get("/app/inbox?owner=all&sort=priority", cara)).text();
    expect(all.indexOf("Acme KK")).toBeGreaterThan(0);
    expect(all.indexOf("Acme KK")).toBeLessThan(all.indexOf("Bolt Inc"));
    // By tier: Acme (low touch) before Bolt (tech touch).
    const byTier = await (await get("/app/inbox?owner=all&sort=tier", cara)).text();
    expect(byTier.indexOf("Acme KK")).toBeLessThan(byTier.indexOf("Bolt Inc"));
    expect(byTier).toMatch(/<option value="tier" selected/);
    const carls = await (await get("/app/inbox?owner=carl%40inbox.example", cara)).text();
    expect(carls).toContain("Bolt Inc");
    expect(carls).not.toContain("Acme KK");
    const lowTouch = await (await get("/app/inbox?owner=all&tier=low_touch", cara)).text();
    expect(lowTouch).toContain("Acme KK");
    expect(lowTouch).not.toContain("Bolt Inc");
  });

  it("ignores filter values it does not know instead of failing", async () => {
    for (const query of [
      "status=closed",
      "priority=%00",
      "tier=gold&sort=random",
      "owner=not-an-email",
      `owner=${"x".repeat(5000)}`,
      "status[]=open&v=1",
    ]) {
      const res = await get(`/app/inbox?${query}`, cara);
      expect(res.status, query).toBe(200);
      expect(await res.text(), query).toContain("Acme KK");
    }
  });

  it("answers htmx with the list alone, and 204 to a poll when nothing changed", async () => {
    const res = await get("/app/inbox?owner=all", cara, { "HX-Request": "true" });
    expect(res.status).toBe(200);
    const fragment = await res.text();
    expect(fragment.startsWith('<div id="inbox-rows"')).toBe(true);
    expect(fragment).not.toContain("<html");
    const poll = /hx-get="([^"]+)"/.exec(fragment)?.[1]?.replaceAll("&amp;", "&") ?? "";
    expect(poll).toContain("owner=all");
    expect((await get(poll, cara, { "HX-Request": "true" })).status).toBe(204);
    // A history restore wants the whole page.
    const restore = await get(poll, cara, { "HX-Request": "true", "HX-History-Restore-Request": "true" });
    expect(await restore.text()).toContain("<html");
  });

  it("lets a viewer read the inbox and the trace but act on nothing", async () => {
    const res = await get("/app/inbox", vic);
    expect(res.status).toBe(200);
    const html = await res.text();
    // Not a CSM: everyone's escalations, and no "mine".
    expect(html).toContain("Acme KK");
    expect(html).toContain("Bolt Inc");
    expect(html).not.toContain('value="mine"');
    expect(html).not.toContain("Acknowledge</button>");
    expect(html).not.toContain("/resolve");
    for (const verb of ["acknowledge", "resolve", "reassign"]) {
      const refused = await post(`/app/inbox/${acme.id}/${verb}`, { outcome: "resume" }, vic);
      expect(refused.status, verb).toBe(403);
    }
    expect((await escalation(ws, acme.id)).status).toBe("open");
    expect((await get(`/app/enrollments/${acme.enrollmentId}`, vic)).status).toBe(200);
  });

  it("answers 404 for another workspace's escalation or enrollment, and for ids that are none", async () => {
    for (const id of [elsewhere.id, "not-a-uuid", "00000000-0000-4000-8000-000000000000"]) {
      const res = await post(`/app/inbox/${id}/acknowledge`, {}, cara);
      expect(res.status, id).toBe(404);
      expect(
        (await post(`/app/inbox/${id}/resolve`, { outcome: "resume" }, cara, { htmx: true })).status,
        id,
      ).toBe(404);
    }
    expect((await escalation(other, elsewhere.id)).status).toBe("open");
    for (const id of [elsewhere.enrollmentId, "nope"]) {
      const res = await get(`/app/enrollments/${id}`, cara);
      expect(res.status, id).toBe(404);
      expect(await res.text()).toContain("No such enrollment in this workspace.");
    }
  });

  it("acknowledges, reassigns and resolves with the API's use cases, in place with htmx or by redirect", async () => {
    const back = "/app/inbox?status=open&priority=any&tier=any&owner=all&sort=deadline";
    const acked = await post(`/app/inbox/${acme.id}/acknowledge`, { back }, cara);
    expect(acked.status).toBe(303);
    expect(acked.headers.get("location")).toBe(back);
    expect((await escalation(ws, acme.id)).status).toBe("acknowledged");
    // The inbox opens on what is not resolved: the acknowledged card stays, saying so; the Open
    // view no longer lists it.
    const working = await (await get("/app/inbox?owner=all", cara)).text();
    expect(working).toContain('<option value="unresolved" selected="">Not resolved</option>');
    expect(working).toContain("Acme KK");
    expect(working).toContain('<span class="badge">Acknowledged</span>');
    expect(await (await get("/app/inbox?owner=all&status=open", cara)).text()).not.toContain("Acme KK");
    // Again: the escalation is no longer open, the page says why.
    const again = await post(`/app/inbox/${acme.id}/acknowledge`, { back }, cara);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("Someone changed this escalation first");
    // A back link off the inbox is not followed.
    const away = await post(
      `/app/inbox/${bolt.id}/reassign`,
      { assignee: "cara@inbox.example", back: "https://evil.example/" },
      ada,
    );
    expect(away.headers.get("location")).toBe("/app/inbox");
    expect((await escalation(ws, bolt.id)).assignee).toBe("cara@inbox.example");
    const nobody = await post(`/app/inbox/${bolt.id}/reassign`, { assignee: "ghost@inbox.example" }, ada);
    expect(nobody.status).toBe(422);
    expect(await nobody.text()).toContain("Choose an active CSM");

    const bad = await post(
      `/app/inbox/${acme.id}/resolve`,
      { outcome: "resume", resolution: "Saved!" },
      cara,
      { htmx: true },
    );
    expect(bad.status).toBe(200);
    const badCard = await bad.text();
    expect(badCard.startsWith(`<article id="esc-${acme.id}"`)).toBe(true);
    expect(badCard).toContain("The resolution label must be");
    expect((await escalation(ws, acme.id)).status).toBe("acknowledged");
    const long = await post(
      `/app/inbox/${acme.id}/resolve`,
      { outcome: "resume", notes: "x".repeat(5001) },
      cara,
    );
    expect(long.status).toBe(422);

    const resolved = await post(
      `/app/inbox/${acme.id}/resolve`,
      { outcome: "resume", resolution: "saved", notes: "Called the admin; they log in again.", back },
      cara,
      { htmx: true },
    );
    expect(resolved.status).toBe(200);
    const card = await resolved.text();
    expect(card).toContain("Resolved");
    expect(card).toContain("saved · back to the journey");
    expect(card).toContain("Called the admin; they log in again.");
    expect(card).not.toContain("Acknowledge</button>");
    const saved = await escalation(ws, acme.id);
    expect(saved).toMatchObject({
      status: "resolved",
      outcome: "resume",
      resolution: "saved",
      notes: "Called the admin; they log in again.",
    });
    const list = await (await get("/app/inbox?status=resolved&owner=all", cara)).text();
    expect(list).toContain("Acme KK");
    expect(await (await get("/app/inbox?owner=all", cara)).text()).not.toContain("Acme KK");
  });

  it("speaks Japanese with dates in Japanese", async () => {
    const switched = await post("/app/language", { locale: "ja", next: "/app/inbox" }, ada);
    expect(switched.status).toBe(303);
    const html = await (await get("/app/inbox?owner=all&status=open", ada)).text();
    expect(html).toContain('lang="ja"');
    expect(html).toContain("受信トレイ");
    expect(html).toContain("期限");
    expect(html).toContain("Bolt Inc");
    expect(html).toMatch(/\d+ 時間後/);
    expect(html).toContain("時刻のタイムゾーン: UTC");
  });

  it("marks an escalation past its deadline, and finds the unassigned ones", async () => {
    const quiet = await stack.newWorkspace("Quiet Co");
    const admin = await person(quiet, "ada@quiet.example", "admin");
    // No CSM in this workspace: opened three days ago with a two-day SLA, nobody has it.
    await escalationFor(
      quiet,
      { externalId: "late", name: "Late Ltd" },
      null,
      "low",
      new Date(Date.now() - 3 * DAY_MS),
    );
    for (const query of ["", "?owner=none"]) {
      const html = await (await get(`/app/inbox${query}`, admin)).text();
      expect(html, query).toContain("Late Ltd");
      expect(html, query).toContain("SLA breached");
      expect(html, query).toMatch(/1 day ago|2\d hours ago/);
      expect(html, query).toContain("Unassigned");
    }
    const someone = await (await get("/app/inbox?owner=nobody%40quiet.example", admin)).text();
    expect(someone).not.toContain("Late Ltd");
    expect(someone).toMatch(/<option value="nobody@quiet.example" selected/);
  });

  it("opens on everyone's escalations for an admin who is also a CSM, who may still pick their own", async () => {
    await ws.request("PUT", "/v1/csms/ada@inbox.example", { name: "Ada" });
    const html = await (await get("/app/inbox", ada)).text();
    expect(html).toMatch(/<option value="all" selected/);
    expect(html).toContain('<option value="mine"');
    const mine = await (await get("/app/inbox?owner=mine", ada)).text();
    expect(mine).toMatch(/<option value="mine" selected/);
    expect(mine).not.toContain("Bolt Inc");
  });

  it("shows an enrollment's journey, account and status, and its trace as a timeline", async () => {
    // The worker records the trace as the run goes: the wait is its last entry.
    const html = await eventually(async () => {
      const res = await get(`/app/enrollments/${acme.enrollmentId}`, cara);
      expect(res.status).toBe(200);
      const text = await res.text();
      return text.includes("trace-wait") ? text : undefined;
    }, "the wait in the trace");
    expect(html).toContain("hold");
    expect(html).toContain("Acme KK");
    expect(html).toContain('href="/app/accounts/acme"');
    expect(html).toContain("Active");
    expect(html).toContain("Entered the journey");
    expect(html).toContain("Waiting");
    expect(html).toMatch(/until: /);
  });
});
