import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAccountRow } from "../apps/core/accounts/accounts";
import { createSmtpTransport } from "../apps/core/delivery/mailer";
import { reassignEscalation } from "../apps/core/escalations/actions";
import { openEscalation } from "../apps/core/escalations/open";
import type { Escalation } from "../apps/core/escalations/queries";
import { checkEscalationSla } from "../apps/core/escalations/sla";
import { createLogger } from "../apps/logger";
import { enrollments, escalations, touches } from "../db/schema";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "./harness";

let stack: TestStack;
let ws: TestWorkspace;

/** An enrolled account (held by a long wait) to hang escalations on, opened directly. */
async function escalationTarget(w: TestWorkspace, account: string, tier = "tech_touch") {
  await w.request("PUT", "/v1/journeys/hold", {
    name: "Hold",
    trigger: { type: "manual" },
    steps: [{ id: "w", type: "wait", duration: "P30D" }],
  });
  await w.request("POST", "/v1/journeys/hold/publish");
  await w.request("PUT", `/v1/accounts/${account}`, { name: account, tier });
  const res = await w.request("POST", "/v1/enrollments", { journey: "hold", account });
  const enrolled = (await res.json()) as { id: string };
  const row = await findAccountRow(stack.database.db, w.workspaceId, account);
  let n = 0;
  return (priority: "low" | "medium" | "high" = "medium") =>
    openEscalation(stack.deps, {
      workspaceId: w.workspaceId,
      enrollmentId: enrolled.id,
      accountId: row?.id ?? "",
      tier,
      escalationKey: `call:${n++}`,
      stepId: "call",
      reason: "No login",
      priority,
      sla: "P2D",
      assignee: null,
      holdsJourney: false,
      at: new Date().toISOString(),
    });
}

async function escalation(w: TestWorkspace, id: string): Promise<Escalation> {
  return (await (await w.request("GET", `/v1/escalations/${id}`)).json()) as Escalation;
}

/** The CSM notifications sent or tried for an escalation's enrollment. */
async function notificationsOf(id: string) {
  const [x] = await stack.database.db
    .select({ enrollmentId: escalations.enrollmentId })
    .from(escalations)
    .where(eq(escalations.id, id));
  return stack.database.db
    .select({ key: touches.touchKey, to: touches.recipient, status: touches.status })
    .from(touches)
    .where(and(eq(touches.enrollmentId, x?.enrollmentId ?? ""), eq(touches.channel, "notification")));
}

beforeAll(async () => {
  stack = await startTestStack();
  ws = await stack.newWorkspace();
});
afterAll(() => stack?.close());

describe("CSMs and escalation assignment", () => {
  it("counts a CSM's open load in this workspace only, whatever other workspaces give the same email", async () => {
    const other = await stack.newWorkspace();
    await other.request("PUT", "/v1/csms/shared@vendor.example", { capacity: 5 });
    const { id } = await (await escalationTarget(other, "elsewhere"))();
    expect((await escalation(other, id)).assignee).toBe("shared@vendor.example");
    const mine = await stack.newWorkspace();
    const res = await mine.request("PUT", "/v1/csms/shared@vendor.example", { capacity: 5 });
    expect(((await res.json()) as { openLoad: number }).openLoad).toBe(0);
  });

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
        openEscalation(stack.deps, {
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
    const again = await openEscalation(stack.deps, {
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
      escalations: { fallbackOwner: null },
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

describe("escalation SLA, reassignment and resolution", () => {
  const delivery = () => stack.workerConfig;

  it("raises the priority once at the breach, however often the check is retried", async () => {
    const w = await stack.newWorkspace();
    await w.request("PUT", "/v1/csms/solo@vendor.example", { capacity: 5 });
    const open = await escalationTarget(w, "breached");
    const { id } = await open("medium");
    const check = { workspaceId: w.workspaceId, escalationId: id, stage: "breach" as const };
    const at = new Date().toISOString();
    expect(await checkEscalationSla(delivery(), { ...check, at })).toBe("open");
    // The activity retried after a failed notification: the breach is already recorded.
    expect(await checkEscalationSla(delivery(), { ...check, at, attempt: 2 })).toBe("open");
    const after = await escalation(w, id);
    expect(after.priority).toBe("high");
    const sent = await notificationsOf(id);
    expect(sent.filter((n) => n.key.endsWith(":breach"))).toHaveLength(1);
  });

  it("gives an escalation nobody had room for to a CSM at the reminder, and at a resolve that frees one", async () => {
    const w = await stack.newWorkspace();
    const open = await escalationTarget(w, "waiting");
    const first = await open();
    expect(first.assignee).toBeNull();
    await w.request("PUT", "/v1/csms/late@vendor.example", { capacity: 1, tiers: ["tech_touch"] });
    const check = { workspaceId: w.workspaceId, escalationId: first.id, at: new Date().toISOString() };
    await checkEscalationSla(delivery(), { ...check, stage: "reminder" });
    expect((await escalation(w, first.id)).assignee).toBe("late@vendor.example");
    expect(await notificationsOf(first.id)).toContainEqual({
      key: "escalation:call:0:reminder",
      to: "late@vendor.example",
      status: "sent",
    });

    // late@ is full now: the next one waits, and gets late@ once the first is resolved.
    const second = await open();
    expect(second.assignee).toBeNull();
    const resolved = await w.request("POST", `/v1/escalations/${first.id}/resolve`, { outcome: "resume" });
    expect(resolved.status).toBe(200);
    expect((await escalation(w, second.id)).assignee).toBe("late@vendor.example");
    expect(await notificationsOf(second.id)).toContainEqual({
      key: "escalation:call:1:assigned:late@vendor.example",
      to: "late@vendor.example",
      status: "sent",
    });
  });

  it("reassigns only to an active CSM of the workspace, naming the field, and tells the new assignee", async () => {
    const w = await stack.newWorkspace();
    await w.request("PUT", "/v1/csms/first@vendor.example", { capacity: 5 });
    await w.request("PUT", "/v1/csms/away@vendor.example", { active: false });
    await w.request("PUT", "/v1/csms/next@vendor.example", { capacity: 5 });
    const open = await escalationTarget(w, "handover");
    const { id, assignee } = await open();
    expect(assignee).toBe("first@vendor.example");

    for (const target of ["nobody@vendor.example", "away@vendor.example"]) {
      const res = await w.request("POST", `/v1/escalations/${id}/reassign`, { assignee: target });
      expect(res.status).toBe(422);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const body = (await res.json()) as { errors: { pointer: string }[] };
      expect(body.errors.map((e) => e.pointer)).toEqual(["/assignee"]);
    }
    const missing = await w.request("POST", "/v1/escalations/00000000-0000-4000-8000-000000000000/reassign", {
      assignee: "next@vendor.example",
    });
    expect(missing.status).toBe(404);
    expect((await escalation(w, id)).assignee).toBe("first@vendor.example");

    const moved = await w.request("POST", `/v1/escalations/${id}/reassign`, {
      assignee: "next@vendor.example",
    });
    expect(moved.status).toBe(200);
    expect(((await moved.json()) as Escalation).assignee).toBe("next@vendor.example");
    expect(await notificationsOf(id)).toContainEqual({
      key: "escalation:call:0:assigned:next@vendor.example",
      to: "next@vendor.example",
      status: "sent",
    });
  });

  it("reassigns even when the mail server is down: the change stands and the call succeeds", async () => {
    const w = await stack.newWorkspace();
    await w.request("PUT", "/v1/csms/first@vendor.example", { capacity: 5 });
    await w.request("PUT", "/v1/csms/next@vendor.example", { capacity: 5 });
    const { id } = await (await escalationTarget(w, "mail-down"))();
    // Nothing listens on port 1: every send is refused at once.
    const logged: string[] = [];
    const log = createLogger("debug", (line) => logged.push(line));
    const down = { ...delivery(), transport: createSmtpTransport("smtp://127.0.0.1:1"), log };
    const moved = await reassignEscalation(down, w.workspaceId, id, "next@vendor.example", new Date());
    expect(moved.ok).toBe(true);
    expect((await escalation(w, id)).assignee).toBe("next@vendor.example");
    // The failed notification is not swallowed: logged once, with the escalation and its cause.
    const failures = logged.filter((line) => line.includes("could not tell the assignee"));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain(id);
    expect(failures[0]).toContain("127.0.0.1");
  });

  it("answers a repeated resolve with the same outcome (a safe retry), and refuses a different one", async () => {
    const w = await stack.newWorkspace();
    const open = await escalationTarget(w, "retried");
    const { id } = await open();
    const body = { outcome: "exit", resolution: "saved" };
    const first = await w.request("POST", `/v1/escalations/${id}/resolve`, body);
    expect(first.status).toBe(200);
    const again = await w.request("POST", `/v1/escalations/${id}/resolve`, body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: "resolved", outcome: "exit", resolution: "saved" });
    const other = await w.request("POST", `/v1/escalations/${id}/resolve`, { outcome: "resume" });
    expect(other.status).toBe(409);
  });
});
