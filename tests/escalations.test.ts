import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAccountRow } from "../apps/core/accounts";
import { openEscalation } from "../apps/core/escalations";
import { enrollments } from "../db/schema";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "./harness";

let stack: TestStack;
let ws: TestWorkspace;

beforeAll(async () => {
  stack = await startTestStack();
  ws = await stack.newWorkspace();
});
afterAll(() => stack?.close());

describe("CSMs and escalation assignment", () => {
  it("keeps every CSM within capacity when 50 escalations arrive at once", async () => {
    for (const [email, tiers] of [
      ["a@vendor.example", ["tech_touch"]],
      ["b@vendor.example", ["tech_touch", "low_touch"]],
      ["c@vendor.example", []],
      ["d@vendor.example", ["high_touch"]],
    ] as const) {
      const res = await ws.request("PUT", `/v1/csms/${email}`, {
        name: email.slice(0, 1),
        capacity: 10,
        tiers,
      });
      expect(res.status).toBe(200);
    }
    await ws.request("PUT", "/v1/csms/off@vendor.example", { capacity: 100, active: false });

    // One run that escalates 50 times, all at once, for an account without an owner CSM.
    await ws.request("PUT", "/v1/journeys/esc", {
      name: "Escalate",
      trigger: { type: "manual" },
      steps: [{ id: "w", type: "wait", duration: "P30D" }],
    });
    await ws.request("POST", "/v1/journeys/esc/publish");
    await ws.request("PUT", "/v1/accounts/ownerless", { name: "Ownerless", tier: "tech_touch" });
    const enrolled = (await (
      await ws.request("POST", "/v1/enrollments", { journey: "esc", account: "ownerless" })
    ).json()) as {
      id: string;
    };
    const account = await findAccountRow(stack.database.db, ws.workspaceId, "ownerless");
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        openEscalation(stack.database.db, {
          workspaceId: ws.workspaceId,
          enrollmentId: enrolled.id,
          accountId: account?.id ?? "",
          tier: "tech_touch",
          escalationKey: `call:${i}`,
          stepId: "call",
          reason: "No login",
          priority: "high",
          sla: "P2D",
          assignee: null,
          holdsJourney: false,
          at: new Date().toISOString(),
        }),
      ),
    );
    const counts: Record<string, number> = {};
    for (const r of results)
      counts[r.assignee ?? "unassigned"] = (counts[r.assignee ?? "unassigned"] ?? 0) + 1;
    // Three CSMs serve tech-touch accounts, ten each; the high-touch CSM and the inactive one get none.
    expect(counts).toEqual({
      "a@vendor.example": 10,
      "b@vendor.example": 10,
      "c@vendor.example": 10,
      unassigned: 20,
    });

    const { data } = (await (await ws.request("GET", "/v1/csms")).json()) as {
      data: { email: string; openLoad: number }[];
    };
    expect(data.map((c) => [c.email, c.openLoad])).toEqual([
      ["a@vendor.example", 10],
      ["b@vendor.example", 10],
      ["c@vendor.example", 10],
      ["d@vendor.example", 0],
      ["off@vendor.example", 0],
    ]);
    // The same escalation opened again is the same escalation.
    const again = await openEscalation(stack.database.db, {
      workspaceId: ws.workspaceId,
      enrollmentId: enrolled.id,
      accountId: account?.id ?? "",
      tier: "tech_touch",
      escalationKey: "call:0",
      stepId: "call",
      reason: "No login",
      priority: "high",
      sla: "P2D",
      assignee: null,
      holdsJourney: false,
      at: new Date().toISOString(),
    });
    expect(again).toEqual(results[0]);
  });

  it("assigns a journey's escalation for an account without an owner to a CSM serving its tier", async () => {
    await ws.request("PUT", "/v1/csms/lt@vendor.example", { capacity: 5, tiers: ["low_touch"] });
    await ws.request("PUT", "/v1/journeys/call-low", {
      name: "Call",
      trigger: { type: "manual" },
      steps: [{ id: "call", type: "escalate", reason: "Call them", priority: "medium", sla: "P3D" }],
    });
    await ws.request("POST", "/v1/journeys/call-low/publish");
    await ws.request("PUT", "/v1/accounts/low", { name: "Low", tier: "low_touch" });
    const enrolled = (await (
      await ws.request("POST", "/v1/enrollments", { journey: "call-low", account: "low" })
    ).json()) as {
      id: string;
    };
    const escalation = await eventually(async () => {
      const { data } = (await (await ws.request("GET", "/v1/escalations?priority=medium")).json()) as {
        data: { enrollmentId: string; assignee: string }[];
      };
      return data.find((e) => e.enrollmentId === enrolled.id);
    }, "the escalation");
    // b@ serves low touch too but is full; lt@ has room.
    expect(escalation.assignee).toBe("lt@vendor.example");
    const [row] = await stack.database.db.select().from(enrollments).where(eq(enrollments.id, enrolled.id));
    expect(row?.id).toBe(enrolled.id);
  });

  it("keeps notification settings per workspace, validated with pointers and filled with defaults", async () => {
    const fresh = await stack.newWorkspace();
    expect(await (await fresh.request("GET", "/v1/settings")).json()).toEqual({
      notifications: { webhookUrl: null, managerEmail: null },
      email: { from: "Volante <noreply@volante.local>", replyTo: null, csmSenderTiers: ["high_touch"] },
      delivery: { frequencyCap: null, quietHours: null, defaultTimezone: "UTC" },
    });
    const bad = await fresh.request("PUT", "/v1/settings", {
      notifications: { webhookUrl: "ftp://example.com/x", managerEmail: "not-an-email" },
      delivery: { quietHours: { start: "25:00", end: "08:00" }, frequencyCap: { max: 0, per: "1 day" } },
    });
    expect(bad.status).toBe(422);
    const body = (await bad.json()) as { errors: { pointer: string }[] };
    expect(body.errors.map((e) => e.pointer).sort()).toEqual([
      "/delivery/frequencyCap/max",
      "/delivery/frequencyCap/per",
      "/delivery/quietHours/start",
      "/notifications/managerEmail",
      "/notifications/webhookUrl",
    ]);
    const saved = await fresh.request("PUT", "/v1/settings", {
      notifications: { managerEmail: "lead@vendor.example" },
    });
    expect(saved.status).toBe(200);
    expect(await (await fresh.request("GET", "/v1/settings")).json()).toMatchObject({
      notifications: { webhookUrl: null, managerEmail: "lead@vendor.example" },
    });
    // Another workspace's settings are its own.
    expect(await (await ws.request("GET", "/v1/settings")).json()).toMatchObject({
      notifications: { managerEmail: null },
    });
  });
});
