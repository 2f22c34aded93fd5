import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Journey, JourneyVersion } from "../apps/core/journeys/journeys";
import type { SimulateResponse } from "../apps/core/journeys/simulate";
import { journeyVersions } from "../db/schema";
import { addDuration } from "../workflows/journey/time";
import { startTestStack, type TestStack, type TestWorkspace } from "./harness";

let stack: TestStack;
let ws: TestWorkspace;

type ProblemJson = {
  status: number;
  type: string;
  errors?: { pointer: string; message: string; rule?: string }[];
};

const welcome = {
  key: "welcome-flow",
  name: "Welcome flow",
  trigger: { type: "stage_entered", stage: "onboarding" },
  audience: { tiers: ["tech_touch"] },
  steps: [
    { id: "welcome", type: "email", template: "hello", to: "role:admin" },
    { id: "d3", type: "wait", duration: "P3D" },
    { id: "login", type: "wait_for_event", event: "login", timeout: "P7D", onTimeout: "call", next: null },
    { id: "call", type: "escalate", reason: "No login", priority: "high", sla: "P2D" },
  ],
};

beforeAll(async () => {
  stack = await startTestStack();
  ws = await stack.newWorkspace();
  const put = await ws.request("PUT", "/v1/templates/hello", {
    channel: "email",
    category: "onboarding",
    subject: "Welcome, {{contact.firstName}}",
    body: "<p>Hello {{contact.name}} at {{account.name}}</p>",
  });
  expect(put.status).toBe(201);
});
afterAll(() => stack?.close());

describe("templates API", () => {
  it("lists workspace templates beside the file defaults", async () => {
    const res = await ws.request("GET", "/v1/templates");
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: { key: string; source: string; variables: string[] }[] };
    expect(data.find((t) => t.key === "hello")).toMatchObject({
      source: "workspace",
      variables: ["account.name", "contact.firstName", "contact.name"],
    });
  });

  it("refuses a template with bad syntax, a missing subject or a variable no journey supplies", async () => {
    const res = await ws.request("PUT", "/v1/templates/broken", {
      channel: "email",
      category: "onboarding",
      body: "<p>{{#if account.name}}unclosed {{contact.shoeSize}}</p>",
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as ProblemJson;
    expect(body.errors?.map((e) => e.pointer)).toEqual(["/subject", "/body"]);
    const unknown = await ws.request("PUT", "/v1/templates/odd", {
      channel: "in_app",
      category: "product_tips",
      body: "Hi {{contact.shoeSize}}",
    });
    expect(((await unknown.json()) as ProblemJson).errors?.[0]?.message).toContain("contact.shoeSize");
  });
});

describe("journeys API", () => {
  it("saves a draft (201), reports what publishing would refuse, and updates it (200)", async () => {
    const bad = {
      ...welcome,
      steps: [...welcome.steps.slice(0, 3), { ...welcome.steps[3], sla: "two days" }],
    };
    const created = await ws.request("PUT", "/v1/journeys/welcome-flow", bad);
    expect(created.status).toBe(201);
    const journey = (await created.json()) as Journey;
    expect(journey).toMatchObject({ key: "welcome-flow", status: "draft", latestVersion: null });
    expect(journey.problems).toEqual([
      expect.objectContaining({ pointer: "/steps/3/sla", rule: "bad_duration" }),
    ]);

    const fixed = await ws.request("PUT", "/v1/journeys/welcome-flow", welcome);
    expect(fixed.status).toBe(200);
    expect(((await fixed.json()) as Journey).problems).toEqual([]);
  });

  it("refuses a draft that is not shaped like a journey, with pointers", async () => {
    const res = await ws.request("PUT", "/v1/journeys/shapeless", {
      name: "x",
      trigger: { type: "sometimes" },
      steps: [],
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as ProblemJson;
    expect(body.errors?.map((e) => e.pointer)).toEqual(expect.arrayContaining(["/trigger/type", "/steps"]));
    expect((await ws.request("GET", "/v1/journeys/shapeless")).status).toBe(404);
  });

  it("publishes immutable versions, idempotently, and lists them", async () => {
    const first = await ws.request("POST", "/v1/journeys/welcome-flow/publish");
    expect(first.status).toBe(201);
    const v1 = (await first.json()) as JourneyVersion;
    expect(v1).toMatchObject({ key: "welcome-flow", version: 1 });
    expect(v1.checksum).toMatch(/^[0-9a-f]{64}$/);

    // As curl sends it with `-H content-type:application/json` set for every call: no body is no body.
    const again = await ws.request("POST", "/v1/journeys/welcome-flow/publish", undefined, {
      "content-type": "application/json",
      "content-length": "0",
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as JourneyVersion).version).toBe(1);

    await ws.request("PUT", "/v1/journeys/welcome-flow", { ...welcome, name: "Welcome flow v2" });
    const second = await ws.request("POST", "/v1/journeys/welcome-flow/publish");
    expect(((await second.json()) as JourneyVersion).version).toBe(2);

    const list = (await (await ws.request("GET", "/v1/journeys/welcome-flow/versions")).json()) as {
      data: JourneyVersion[];
    };
    expect(list.data.map((v) => v.version)).toEqual([1, 2]);
    const one = (await (
      await ws.request("GET", "/v1/journeys/welcome-flow/versions/1")
    ).json()) as JourneyVersion;
    expect(one.definition).toMatchObject({ name: "Welcome flow", reentry: { policy: "never" } });
    const journey = (await (await ws.request("GET", "/v1/journeys/welcome-flow")).json()) as Journey;
    expect(journey).toMatchObject({ status: "active", latestVersion: 2 });
  });

  it("keeps published versions immutable in the database itself", async () => {
    const db = stack.database.db;
    await expect(
      db.update(journeyVersions).set({ checksum: "tampered" }).where(eq(journeyVersions.version, 1)),
    ).rejects.toThrow();
    const [row] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(journeyVersions)
      .where(eq(journeyVersions.checksum, "tampered"));
    expect(row?.n).toBe(0);
  });

  it("refuses to publish a draft with problems, listing every one with its pointer (422)", async () => {
    await ws.request("PUT", "/v1/journeys/broken", {
      ...welcome,
      key: "broken",
      steps: [
        { id: "welcome", type: "email", template: "nope", to: "role:admin" },
        {
          id: "ab",
          type: "split",
          branches: [
            { percent: 60, next: "welcome" },
            { percent: 30, next: "ghost" },
          ],
        },
      ],
    });
    const res = await ws.request("POST", "/v1/journeys/broken/publish");
    expect(res.status).toBe(422);
    const body = (await res.json()) as ProblemJson;
    expect(body.type).toBe("urn:volante:problem:journey-invalid");
    expect(body.errors?.map((e) => [e.pointer, e.rule])).toEqual(
      expect.arrayContaining([
        ["/steps/0/template", "unknown_template"],
        ["/steps/1/branches", "split_total"],
        ["/steps/1/branches/1/next", "unknown_target"],
      ]),
    );
    expect(
      ((await (await ws.request("GET", "/v1/journeys/broken/versions")).json()) as { data: unknown[] }).data,
    ).toEqual([]);
  });

  it("pauses, resumes and archives, refusing impossible transitions", async () => {
    const pause = await ws.request("POST", "/v1/journeys/welcome-flow/pause");
    expect(((await pause.json()) as { status: string }).status).toBe("paused");
    const resume = await ws.request("POST", "/v1/journeys/welcome-flow/resume");
    expect(((await resume.json()) as { status: string }).status).toBe("active");
    expect((await ws.request("POST", "/v1/journeys/broken/resume")).status).toBe(409);
    const archive = await ws.request("POST", "/v1/journeys/broken/archive");
    expect(((await archive.json()) as { status: string }).status).toBe("archived");
    expect((await ws.request("PUT", "/v1/journeys/broken", { ...welcome, key: "broken" })).status).toBe(409);
    expect((await ws.request("POST", "/v1/journeys/nothing/pause")).status).toBe(404);
  });

  it("keeps journeys to their workspace", async () => {
    const stranger = await stack.newWorkspace();
    expect((await stranger.request("GET", "/v1/journeys/welcome-flow")).status).toBe(404);
    expect((await stranger.request("POST", "/v1/journeys/welcome-flow/publish")).status).toBe(404);
  });
});

describe("simulate API", () => {
  it("simulates a synthetic population and answers who gets what", async () => {
    const res = await ws.request("POST", "/v1/journeys/welcome-flow/simulate", {
      accounts: 200,
      from: "2026-01-01T00:00:00Z",
      to: "2026-04-01T00:00:00Z",
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as SimulateResponse;
    expect(body.population).toBe("synthetic");
    expect(body.summary.accounts).toBe(200);
    expect(body.summary.enrolled).toBeGreaterThan(100);
    expect(body.summary.touchesByStep.welcome).toBe(body.summary.enrolled);
    expect(body.accounts).toHaveLength(200);
    const touched = body.accounts.find((a) => a.touches.length > 0);
    expect(touched?.touches[0]).toMatchObject({
      stepId: "welcome",
      channel: "email",
      template: "hello",
      to: "role:admin",
    });
  });

  it("simulates real accounts over their stored events, naming the CSM of each escalation", async () => {
    await ws.request("PUT", "/v1/accounts/quiet", {
      name: "Quiet KK",
      tier: "tech_touch",
      ownerCsm: "hanako@vendor.example",
      licenses: 10,
    });
    await ws.request("PUT", "/v1/accounts/busy", { name: "Busy KK", tier: "tech_touch", licenses: 10 });
    await ws.request("PUT", "/v1/accounts/big", { name: "Big Corp", tier: "high_touch" });
    const events = await ws.request("POST", "/v1/events", {
      events: [{ id: "b-1", account: "busy", name: "login", occurredAt: "2026-01-06T10:00:00Z" }],
    });
    expect(events.status).toBe(200);

    const res = await ws.request("POST", "/v1/journeys/welcome-flow/simulate", {
      accounts: ["quiet", "busy", "big", "ghost"],
      from: "2026-01-01T00:00:00Z",
      to: "2026-02-01T00:00:00Z",
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as SimulateResponse;
    expect(body.unknownAccounts).toEqual(["ghost"]);
    const byId = Object.fromEntries(body.accounts.map((a) => [a.account, a]));
    expect(byId.quiet?.escalations).toEqual([
      expect.objectContaining({
        at: "2026-01-11T00:00:00.000Z",
        assignee: "hanako@vendor.example",
        reason: "No login",
      }),
    ]);
    expect(byId.busy?.escalations).toEqual([]);
    expect(byId.busy?.outcome).toBe("completed");
    expect(byId.big).toMatchObject({
      outcome: "not_enrolled",
      reason: "tier high_touch is not in the audience",
    });
  });

  it("names who each touch of a real account reaches, and counts touches that reach no one", async () => {
    await ws.request("PUT", "/v1/accounts/reachable", { name: "Reachable KK", tier: "tech_touch" });
    for (const [id, role] of [
      ["a-1", "admin"],
      ["u-1", "user"],
      ["a-2", "admin"],
    ]) {
      await ws.request("PUT", `/v1/accounts/reachable/contacts/${id}`, {
        email: `${id}@reach.example`,
        role,
      });
    }
    await ws.request("PUT", "/v1/accounts/unreachable", { name: "Unreachable KK", tier: "tech_touch" });

    const res = await ws.request("POST", "/v1/journeys/welcome-flow/simulate", {
      accounts: ["reachable", "unreachable"],
      from: "2026-01-01T00:00:00Z",
      to: "2026-01-02T00:00:00Z",
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as SimulateResponse;
    const byId = Object.fromEntries(body.accounts.map((a) => [a.account, a]));
    expect(byId.reachable?.touches.map((t) => [t.to, t.recipients])).toEqual([
      ["role:admin", ["a-1@reach.example", "a-2@reach.example"]],
    ]);
    expect(byId.unreachable?.touches.map((t) => [t.to, t.recipients])).toEqual([["role:admin", []]]);
    // As live: the welcome waits a day for an admin, then is skipped unless one arrives.
    expect(byId.unreachable?.touches[0]?.waitingForRecipients).toEqual({
      status: "waiting_for_recipients",
      bound: "PT24H",
      until: addDuration(byId.unreachable?.touches[0]?.at ?? "", "PT24H"),
      otherwise: { status: "skipped", reason: "no recipient for role:admin" },
    });
    expect(byId.reachable?.touches[0]?.waitingForRecipients).toBeUndefined();
    expect(body.summary).toMatchObject({
      touches: 2,
      touchesWithoutRecipient: 1,
      touchesWaitingForRecipients: 1,
    });
  });

  it("refuses a window over two years or over the work budget with a 422 naming the field", async () => {
    const simulate = async (body: Record<string, unknown>) => {
      const res = await ws.request("POST", "/v1/journeys/welcome-flow/simulate", body);
      expect(res.status).toBe(422);
      return ((await res.json()) as ProblemJson).errors?.map((e) => [e.pointer, e.message]);
    };
    expect(await simulate({ from: "2024-01-01T00:00:00Z", to: "2026-06-01T00:00:00Z" })).toEqual([
      ["/to", expect.stringContaining("at most 731")],
    ]);
    expect(await simulate({ from: "2000-01-01T00:00:00Z" })).toEqual([
      ["/from", expect.stringContaining("at most 731")],
    ]);
    expect(
      await simulate({ accounts: 100_000, from: "2026-01-01T00:00:00Z", to: "2026-04-01T00:00:00Z" }),
    ).toEqual([["/accounts", expect.stringContaining("9000000 account-days")]]);
    expect(await simulate({ from: "0001-01-01T00:00:00Z", to: "0001-02-01T00:00:00Z" })).toEqual([
      ["/from", expect.any(String)],
      ["/to", expect.any(String)],
    ]);
    const fits = await ws.request("POST", "/v1/journeys/welcome-flow/simulate", {
      accounts: 10,
      from: "2025-01-01T00:00:00Z",
      to: "2026-12-31T00:00:00Z",
    });
    expect(fits.status).toBe(200);
  });

  it("simulates an unsaved definition, and refuses an invalid one with pointers under /definition", async () => {
    const ok = await ws.request("POST", "/v1/journeys/welcome-flow/simulate", {
      definition: { ...welcome, steps: [welcome.steps[0]] },
      accounts: 10,
    });
    expect(((await ok.json()) as SimulateResponse).summary.touches).toBeGreaterThan(0);
    const bad = await ws.request("POST", "/v1/journeys/welcome-flow/simulate", {
      definition: { ...welcome, steps: [{ ...welcome.steps[0], template: "missing" }] },
    });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as ProblemJson).errors?.[0]?.pointer).toBe("/definition/steps/0/template");
  });

  it("rejects bad simulation requests with pointers", async () => {
    const res = await ws.request("POST", "/v1/journeys/welcome-flow/simulate", {
      accounts: 0,
      from: "last week",
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as ProblemJson).errors?.map((e) => e.pointer).sort()).toEqual([
      "/accounts",
      "/from",
    ]);
  });
});
