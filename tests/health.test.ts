import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Account } from "../apps/core/accounts/accounts";
import { recomputeHealth } from "../apps/core/health/compute";
import { ensureHealthSchedules } from "../apps/core/health/schedules";
import { systemClock } from "../apps/core/shared/services";
import { healthScorecards } from "../db/schema";
import { type HealthRecomputeWorkflow, healthScheduleId } from "../workflows/contracts";
import {
  eventually,
  startTestStack,
  type TestStack,
  type TestWorkspace,
  type WebhookReceiver,
  webhookReceiver,
} from "./harness";

let stack: TestStack;
let ws: TestWorkspace;
/** Receives the notification webhook; closed after the worker, so no retry finds it gone. */
let hook: WebhookReceiver | undefined;
const DAY = 86_400_000;
// Days are counted in UTC: anchor every event at yesterday noon so hour offsets never cross midnight.
const anchor = Math.floor(Date.now() / DAY) * DAY - DAY / 2;
const ago = (days: number, hours = 0) => new Date(anchor - days * DAY - hours * 3_600_000).toISOString();

type Health = {
  current: {
    score: number;
    band: string;
    trend: { days7: number | null; days28: number | null };
    measures: Record<string, { value: number; score: number }>;
  } | null;
  history: { score: number; band: string }[];
};

let seq = 0;
async function events(account: string, list: { name: string; at: string; user?: string }[]) {
  const res = await ws.request("POST", "/v1/events", {
    events: list.map((e) => ({
      id: `h-${seq++}`,
      account,
      name: e.name,
      occurredAt: e.at,
      properties: e.user ? { user: e.user } : {},
    })),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  stack = await startTestStack();
  ws = await stack.newWorkspace();
});
afterAll(async () => {
  await stack?.close();
  await hook?.close();
});

describe("health scores", () => {
  it("scores an account exactly as computed by hand from the default scorecard", async () => {
    await ws.request("PUT", "/v1/accounts/fixture", {
      name: "Fixture",
      licenses: 10,
      attributes: { roi_achieved: 0.75 },
    });
    await ws.request("PUT", "/v1/accounts/proven", { name: "Proven", attributes: { roi_achieved: true } });
    await events("fixture", [
      { name: "login", at: ago(1), user: "u1" },
      { name: "login", at: ago(2), user: "u2" },
      { name: "login", at: ago(3), user: "u3" },
      { name: "login", at: ago(3, 1), user: "u4" },
      { name: "report_created", at: ago(2, 1), user: "u1" },
      { name: "report_created", at: ago(1, 3), user: "u1" },
      { name: "report_created", at: ago(2, 2), user: "u1" },
      { name: "report_created", at: ago(3, 2), user: "u1" },
      { name: "dashboard_shared", at: ago(1, 1), user: "u2" },
      { name: "outcome_achieved", at: ago(1, 2), user: "u1" },
      // A meeting is engagement, not usage: u7 is neither active nor a license activated.
      { name: "meeting_held", at: ago(10), user: "u7" },
      // Older than 28 days: outside the usage window, but these licenses were activated.
      { name: "login", at: ago(35), user: "u5" },
      { name: "login", at: ago(40), user: "u9" },
    ]);
    const res = await ws.request("POST", "/v1/health/recompute");
    expect(res.status).toBe(200);
    const health = (await (await ws.request("GET", "/v1/accounts/fixture/health")).json()) as Health;
    // 6 of 10 licenses ever used: 0.6/0.8 = 75; 4 active in 28 days: 0.4/0.5 = 80; 3 active days of
    // 20 = 15; 3 features of 4 = 75; 6 feature uses / (4 users × 3 features) = 0.5 of 2 = 25;
    // 1 meeting of 2 = 50; 1 outcome of 1 = 100; ROI attribute 0.75 = 75; no touches yet, so the
    // touch score is left out.
    expect(health.current?.measures).toEqual({
      deployed: { value: 0.6, score: 75 },
      active: { value: 0.4, score: 80 },
      active_days: { value: 3, score: 15 },
      breadth: { value: 3, score: 75 },
      depth: { value: 0.5, score: 25 },
      meetings: { value: 1, score: 50 },
      outcomes: { value: 1, score: 100 },
      roi: { value: 0.75, score: 75 },
    });
    // (25·75 + 20·80 + 10·15 + 10·75 + 5·25 + 5·50 + 10·100 + 5·75) / 90 = 68.1
    expect(health.current).toMatchObject({ score: 68, band: "yellow" });
    const account = (await (await ws.request("GET", "/v1/accounts/fixture")).json()) as Account;
    expect(account.health).toMatchObject({ score: 68, band: "yellow" });
    // A boolean ROI attribute counts as all (or nothing).
    const proven = (await (await ws.request("GET", "/v1/accounts/proven/health")).json()) as Health;
    expect(proven.current?.measures.roi).toEqual({ value: 1, score: 100 });
  });

  it("keeps a history with a trend, and escalates an account that falls into red to its CSM", async () => {
    await ws.request("PUT", "/v1/journeys/red-alert", {
      name: "Red alert",
      trigger: { type: "health_band_entered", band: "red" },
      steps: [{ id: "call", type: "escalate", reason: "Health fell into red", priority: "high", sla: "P1D" }],
    });
    expect((await ws.request("POST", "/v1/journeys/red-alert/publish")).status).toBe(201);
    const receiver = await webhookReceiver();
    hook = receiver;
    const saved = await ws.request("PUT", "/v1/settings", {
      notifications: { webhookUrl: receiver.url, managerEmail: "lead@vendor.example" },
    });
    expect(saved.status).toBe(200);
    await ws.request("PUT", "/v1/accounts/declining", {
      name: "Declining",
      licenses: 4,
      ownerCsm: "csm@vendor.example",
    });
    // Busy six weeks ago, silent since.
    await events(
      "declining",
      ["u1", "u2", "u3", "u4"].flatMap((user, i) => [
        { name: "login", at: ago(45 + i), user },
        { name: "report_created", at: ago(45 + i, 1), user },
        { name: "dashboard_shared", at: ago(44, i), user },
      ]),
    );
    const deps = {
      db: stack.database.db,
      client: stack.client,
      taskQueue: stack.taskQueue,
      clock: systemClock,
    };
    const before = await recomputeHealth(deps, ws.workspaceId, new Date(Date.now() - 40 * DAY));
    // All 4 licenses activated and active, 5 active days, 2 features used twice per user, no meeting,
    // no outcome: (2500 + 2000 + 250 + 500 + 250) / 85 = 64.7. Then only the activated licenses: 2500 / 85.
    expect(before.transitions).toContainEqual({ account: "declining", from: null, to: "yellow" });
    const after = await recomputeHealth(deps, ws.workspaceId, new Date());
    expect(after.transitions).toContainEqual({ account: "declining", from: "yellow", to: "red" });

    const health = (await (await ws.request("GET", "/v1/accounts/declining/health")).json()) as Health;
    expect(health.history.map((h) => [h.score, h.band])).toEqual([
      [65, "yellow"],
      [29, "red"],
    ]);
    expect(health.current?.trend.days28).toBe(
      (health.history[1]?.score ?? 0) - (health.history[0]?.score ?? 0),
    );
    expect(health.current?.trend).toEqual({ days7: -36, days28: -36 });

    const escalation = await eventually(async () => {
      const { data } = (await (await ws.request("GET", "/v1/escalations")).json()) as {
        data: { account: string; assignee: string; reason: string }[];
      };
      return data.find((e) => e.account === "declining");
    }, "the red-band escalation");
    expect(escalation).toMatchObject({ assignee: "csm@vendor.example", reason: "Health fell into red" });

    // The crossing is an alert (first scores raise none), posted to the webhook with the escalation.
    expect(after.alerts).toBeGreaterThanOrEqual(1);
    const alerts = (await (await ws.request("GET", "/v1/health/alerts?band=red")).json()) as {
      data: { account: string; from: string; to: string; score: number; notifiedAt: string | null }[];
    };
    expect(alerts.data.find((a) => a.account === "declining")).toMatchObject({
      from: "yellow",
      to: "red",
      score: 29,
    });
    const posted = await eventually(async () => {
      const texts = receiver.received.map((r) => String(r.body.text));
      const alert = texts.find((t) => t.includes("Declining") && t.includes("yellow → red"));
      const escalated = texts.find((t) => t.startsWith("Escalated:") && t.includes("Health fell into red"));
      return alert && escalated ? { alert, escalated } : undefined;
    }, "the alert and the escalation on the webhook");
    expect(posted.alert).toBe("Health dropped: Declining (declining) yellow → red, score 29");
    const alertPost = receiver.received.find((r) => r.body.event === "health.band_changed");
    expect(alertPost?.headers["idempotency-key"]).toMatch(/^health-alert:/);
  });

  it("escalates an account without an owner CSM that falls into red to the CSM serving its tier", async () => {
    const w = await stack.newWorkspace();
    await w.request("PUT", "/v1/csms/high@vendor.example", { capacity: 10, tiers: ["high_touch"] });
    await w.request("PUT", "/v1/csms/low@vendor.example", { capacity: 10, tiers: ["low_touch"] });
    await w.request("PUT", "/v1/journeys/red-call", {
      name: "Red call",
      trigger: { type: "health_band_entered", band: "red" },
      steps: [{ id: "call", type: "escalate", reason: "Red", priority: "high", sla: "P1D" }],
    });
    expect((await w.request("POST", "/v1/journeys/red-call/publish")).status).toBe(201);
    // No owner CSM and no usage at all: the first score is red.
    await w.request("PUT", "/v1/accounts/unowned", { name: "Unowned", tier: "low_touch", licenses: 5 });
    const run = (await (await w.request("POST", "/v1/health/recompute")).json()) as {
      transitions: { account: string; to: string }[];
    };
    expect(run.transitions).toContainEqual({ account: "unowned", from: null, to: "red" });
    const escalation = await eventually(async () => {
      const { data } = (await (await w.request("GET", "/v1/escalations")).json()) as {
        data: { account: string; assignee: string | null }[];
      };
      return data.find((e) => e.account === "unowned");
    }, "the red-band escalation");
    expect(escalation.assignee).toBe("low@vendor.example");
  });

  it("retries a run idempotently: one history row and alert per run, the same transitions, journeys enrolled", async () => {
    const w = await stack.newWorkspace();
    await w.request("PUT", "/v1/accounts/retried", { name: "Retried", licenses: 2 });
    const deps = {
      db: stack.database.db,
      client: stack.client,
      taskQueue: stack.taskQueue,
      clock: systemClock,
    };
    const earlier = new Date(Date.now() - 2 * DAY);
    await recomputeHealth(deps, w.workspaceId, earlier);
    // Force a crossing: make the earlier run's band green, as if usage had dropped since.
    await stack.database.db.execute(
      sql`update account_health set band = 'green', score = 90 where workspace_id = ${w.workspaceId}`,
    );
    await stack.database.db.execute(
      sql`update accounts set health_band = 'green', health_score = 90 where workspace_id = ${w.workspaceId}`,
    );
    const at = new Date();
    const first = await recomputeHealth(deps, w.workspaceId, at);
    expect(first.transitions).toEqual([{ account: "retried", from: "green", to: "red" }]);
    // The first attempt died before enrolling (here: the journey did not exist yet); the retry enrolls.
    await w.request("PUT", "/v1/journeys/red-retry", {
      name: "Red retry",
      trigger: { type: "health_band_entered", band: "red" },
      steps: [{ id: "w", type: "wait", duration: "P30D" }],
    });
    expect((await w.request("POST", "/v1/journeys/red-retry/publish")).status).toBe(201);
    const retry = await recomputeHealth(deps, w.workspaceId, at);
    expect(retry.transitions).toEqual(first.transitions);
    const again = await recomputeHealth(deps, w.workspaceId, at);
    expect(again.transitions).toEqual(first.transitions);

    const health = (await (await w.request("GET", "/v1/accounts/retried/health")).json()) as Health;
    expect(health.history.map((h) => h.band)).toEqual(["green", "red"]);
    const { data: alerts } = (await (await w.request("GET", "/v1/health/alerts")).json()) as {
      data: unknown[];
    };
    expect(alerts).toHaveLength(1);
    const { data: enrolled } = (await (
      await w.request("GET", "/v1/enrollments?journey=red-retry")
    ).json()) as {
      data: unknown[];
    };
    expect(enrolled).toHaveLength(1);
  });

  it("scores every account from the Schedule's workflow, as an activity that heartbeats", async () => {
    const w = await stack.newWorkspace();
    await w.request("PUT", "/v1/accounts/scheduled", { name: "Scheduled", licenses: 3 });
    const result = await stack.client.workflow.execute<HealthRecomputeWorkflow>("healthRecompute", {
      taskQueue: stack.taskQueue,
      workflowId: `${healthScheduleId(w.workspaceId)}:test`,
      args: [{ workspaceId: w.workspaceId }],
    });
    expect(result).toEqual({ accounts: 1 });
    const health = (await (await w.request("GET", "/v1/accounts/scheduled/health")).json()) as Health;
    expect(health.history).toHaveLength(1);
  });

  it("validates the scorecard with pointers, saves it and schedules the recompute", async () => {
    const bad = await ws.request("PUT", "/v1/health/scorecard", {
      measures: [
        {
          key: "a",
          group: "adoption",
          metric: "adoption.active_days_28d",
          weight: 10,
          curve: { zero: 0, full: 0 },
        },
        {
          key: "a",
          group: "usage",
          metric: "adoption.active_days_28d",
          weight: 10,
          curve: { zero: 0, full: 5 },
        },
      ],
      bands: { red: 80, yellow: 50 },
      every: "PT1M",
    });
    expect(bad.status).toBe(422);
    const pointers = ((await bad.json()) as { errors: { pointer: string }[] }).errors
      .map((e) => e.pointer)
      .sort();
    expect(pointers).toEqual(["/bands/red", "/measures/0/curve", "/measures/1/group"]);

    const { scorecard } = (await (await ws.request("GET", "/v1/health/scorecard")).json()) as {
      scorecard: { every: string };
    };
    const saved = await ws.request("PUT", "/v1/health/scorecard", { ...scorecard, every: "PT30M" });
    expect(saved.status).toBe(200);
    const again = (await (await ws.request("GET", "/v1/health/scorecard")).json()) as { isDefault: boolean };
    expect(again.isDefault).toBe(false);
    const schedule = await stack.client.schedule.getHandle(`health-recompute:${ws.workspaceId}`).describe();
    expect(schedule.spec.intervals?.[0]?.every).toBe(30 * 60_000);
  });
});

describe("health Schedules at start", () => {
  it("ensures a workspace's Schedule at the default interval when its stored scorecard no longer parses", async () => {
    const w = await stack.newWorkspace();
    // Saved under older rules: an interval the API now refuses.
    await stack.database.db.insert(healthScorecards).values({
      workspaceId: w.workspaceId,
      scorecard: { every: "P9999D", measures: "not a list" },
    });
    const warnings: string[] = [];
    await ensureHealthSchedules(stack.client, stack.deps.taskQueue, stack.database.db, (m) =>
      warnings.push(m),
    );
    expect(warnings.some((m) => m.includes(w.workspaceId) && m.includes("no longer valid"))).toBe(true);
    const schedule = await stack.client.schedule.getHandle(healthScheduleId(w.workspaceId)).describe();
    expect(schedule.spec.intervals?.[0]?.every).toBe(60 * 60_000);
  });
});
