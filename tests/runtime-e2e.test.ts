import { WorkflowNotFoundError } from "@temporalio/client";
import { Worker } from "@temporalio/worker";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { findAccountRow } from "../apps/core/accounts/accounts";
import { createSmtpTransport } from "../apps/core/delivery/mailer";
import type { RuntimeDeps } from "../apps/core/enrollments/runtime";
import type { Enrollment } from "../apps/core/enrollments/schemas";
import { onStageEntered } from "../apps/core/enrollments/triggers";
import { systemClock } from "../apps/core/shared/services";
import { createActivities } from "../apps/worker/activities";
import { touches } from "../db/schema";
import { type JourneyRunWorkflow, journeyWorkflowId } from "../workflows/contracts";
import { eventually, smtpServer, startTestStack, type TestStack, type TestWorkspace } from "./harness";

// The durable runtime end to end on the Temporal dev server, driven only through the HTTP API.
let stack: TestStack;
let ws: TestWorkspace;

type Trace = {
  enrollment: Enrollment;
  trace: { kind: string; stepId: string | null; detail: Record<string, unknown> }[];
};

const onboarding = {
  name: "Welcome and first login",
  trigger: { type: "stage_entered", stage: "onboarding" },
  audience: { tiers: ["tech_touch"] },
  exitWhen: [{ event: "churned" }],
  steps: [
    { id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" },
    {
      id: "login",
      type: "wait_for_event",
      event: "login",
      timeout: "P7D",
      onTimeout: "call",
      next: "check-in",
    },
    {
      id: "call",
      type: "escalate",
      reason: "No login 7 days after welcome",
      priority: "high",
      sla: "P2D",
      next: null,
    },
    { id: "check-in", type: "email", template: "onboarding-check-in", to: "role:admin" },
    { id: "adopt", type: "set_stage", stage: "adoption" },
  ],
};

async function publish(key: string, definition: Record<string, unknown>) {
  expect((await ws.request("PUT", `/v1/journeys/${key}`, definition)).status).toBeLessThan(300);
  const res = await ws.request("POST", `/v1/journeys/${key}/publish`);
  expect(res.status, await res.clone().text()).toBe(201);
}

async function account(externalId: string, extra: Record<string, unknown> = {}) {
  const res = await ws.request("PUT", `/v1/accounts/${externalId}`, {
    name: `${externalId} KK`,
    tier: "tech_touch",
    lifecycleStage: "adoption",
    licenses: 10,
    ownerCsm: "hanako@vendor.example",
    ...extra,
  });
  expect(res.status).toBeLessThan(300);
  await ws.request("PUT", `/v1/accounts/${externalId}/contacts/admin`, {
    email: `admin@${externalId}.example`,
    name: "Taro Yamada",
    role: "admin",
  });
}

async function enrollmentsOf(journey: string, accountId: string): Promise<Enrollment[]> {
  const res = await ws.request("GET", `/v1/enrollments?journey=${journey}&account=${accountId}`);
  return ((await res.json()) as { data: Enrollment[] }).data;
}

async function trace(id: string): Promise<Trace> {
  return (await (await ws.request("GET", `/v1/enrollments/${id}/trace`)).json()) as Trace;
}

async function untilStatus(id: string, status: string, timeoutMs?: number): Promise<Trace> {
  return eventually(
    async () => {
      const t = await trace(id);
      return t.enrollment.status === status ? t : undefined;
    },
    `enrollment ${id} to be ${status}`,
    timeoutMs,
  );
}

const runtime = (): RuntimeDeps => ({
  db: stack.database.db,
  client: stack.client,
  taskQueue: stack.taskQueue,
  clock: systemClock,
});

async function sentTouches(enrollmentId: string) {
  return stack.database.db
    .select()
    .from(touches)
    .where(and(eq(touches.enrollmentId, enrollmentId), eq(touches.status, "sent")));
}

let eventSeq = 0;
async function event(accountId: string, name: string) {
  const res = await ws.request("POST", "/v1/events", {
    events: [
      { id: `evt-${eventSeq++}-${name}`, account: accountId, name, occurredAt: new Date().toISOString() },
    ],
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  stack = await startTestStack();
  ws = await stack.newWorkspace();
  await publish("onboarding", onboarding);
});
afterAll(() => stack?.close());

describe("journey runtime through the API", () => {
  it("PATCH to onboarding → one enrollment → welcome in the outbox → login → next step → completed", async () => {
    await account("acme");
    expect((await ws.request("PATCH", "/v1/accounts/acme", { lifecycleStage: "onboarding" })).status).toBe(
      200,
    );
    const [enrollment] = await enrollmentsOf("onboarding", "acme");
    expect(enrollment).toMatchObject({
      journey: "onboarding",
      version: 1,
      account: "acme",
      trigger: "stage_entered:onboarding",
    });
    const id = enrollment?.id ?? "";

    await eventually(
      async () => ((await sentTouches(id)).length === 1 ? true : undefined),
      "the welcome email",
    );
    const outbox = (await (await ws.request("GET", "/v1/outbox")).json()) as {
      data: { touchKey: string; recipients: string[] }[];
    };
    expect(outbox.data.find((m) => m.touchKey === "welcome:1")?.recipients).toEqual(["admin@acme.example"]);
    await eventually(
      async () => ((await trace(id)).enrollment.currentStep === "login" ? true : undefined),
      "the login wait",
    );

    // The trigger fires again (the stage left and entered again; re-entry is never), and an explicit
    // re-trigger: neither enrolls twice, nor starts a second workflow.
    for (const lifecycleStage of ["adoption", "onboarding"]) {
      expect((await ws.request("PATCH", "/v1/accounts/acme", { lifecycleStage })).status).toBe(200);
    }
    const again = await ws.request("POST", "/v1/enrollments", { journey: "onboarding", account: "acme" });
    expect(again.status).toBe(409);
    expect(await enrollmentsOf("onboarding", "acme")).toHaveLength(1);
    await expect(stack.client.workflow.getHandle(`${enrollment?.workflowId}:2`).describe()).rejects.toThrow(
      WorkflowNotFoundError,
    );

    await event("acme", "login");
    const done = await untilStatus(id, "completed");
    expect(done.trace.map((t) => t.kind)).toEqual([
      "entered",
      "touch",
      "sent",
      "waiting_for_event",
      "event_received",
      "touch",
      "sent",
      "stage_set",
      "completed",
    ]);
    expect((await sentTouches(id)).map((t) => t.touchKey).sort()).toEqual(["check-in:1", "welcome:1"]);
    const acme = (await (await ws.request("GET", "/v1/accounts/acme")).json()) as { lifecycleStage: string };
    expect(acme.lifecycleStage).toBe("adoption");

    const stats = (await (await ws.request("GET", "/v1/journeys/onboarding/stats")).json()) as {
      enrollments: Record<string, number>;
      steps: { stepId: string; reached: number; touches: Record<string, number> }[];
    };
    expect(stats.enrollments.completed).toBe(1);
    expect(stats.steps.map((s) => [s.stepId, s.reached, s.touches.sent ?? 0])).toEqual([
      ["welcome", 1, 1],
      ["login", 1, 0],
      ["call", 0, 0],
      ["check-in", 1, 1],
      ["adopt", 1, 0],
    ]);
  });

  it("enrolls once when the same stage trigger fires twice at once", async () => {
    await account("twice");
    const row = await findAccountRow(stack.database.db, ws.workspaceId, "twice");
    if (!row) throw new Error("no account");
    // What two concurrent PATCHes to onboarding each call.
    const outcomes = await Promise.all(
      [1, 2].map(() => onStageEntered(runtime(), ws.workspaceId, row.id, "onboarding")),
    );
    expect(
      outcomes
        .flat()
        .map((o) => (o.enrolled ? "enrolled" : o.code))
        .sort(),
    ).toEqual(["duplicate", "enrolled"]);
    const [enrollment, ...others] = await enrollmentsOf("onboarding", "twice");
    expect(others).toEqual([]);
    expect((await stack.client.workflow.getHandle(enrollment?.workflowId ?? "").describe()).status.name).toBe(
      "RUNNING",
    );
    await expect(stack.client.workflow.getHandle(`${enrollment?.workflowId}:2`).describe()).rejects.toThrow(
      WorkflowNotFoundError,
    );
    await ws.request("POST", `/v1/enrollments/${enrollment?.id}/exit`, { reason: "test done" });
  });

  it("enrolls once when the same manual trigger races with itself", async () => {
    await account("race", { lifecycleStage: "onboarding" });
    const manual = { ...onboarding, trigger: { type: "manual" } };
    await publish("manual-race", manual);
    const results = await Promise.all(
      [1, 2, 3].map(() => ws.request("POST", "/v1/enrollments", { journey: "manual-race", account: "race" })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect(await enrollmentsOf("manual-race", "race")).toHaveLength(1);
  });

  it("refuses an enrollment whose workflow id an earlier, vanished enrollment's run already used", async () => {
    await account("ghost");
    const manual = { ...onboarding, trigger: { type: "manual" } };
    await publish("manual-ghost", manual);
    // A start that timed out for the client but happened on the server, its row since deleted: the
    // run finds no enrollment and fails, leaving its id taken.
    const handle = await stack.client.workflow.start<JourneyRunWorkflow>("journeyRun", {
      taskQueue: stack.deps.taskQueue,
      workflowId: journeyWorkflowId(ws.workspaceId, "manual-ghost", "ghost", 1),
      args: [{ workspaceId: ws.workspaceId, enrollmentId: "00000000-0000-4000-8000-000000000000" }],
      memo: { enrollmentId: "00000000-0000-4000-8000-000000000000" },
    });
    await expect(handle.result()).rejects.toThrow();
    const res = await ws.request("POST", "/v1/enrollments", { journey: "manual-ghost", account: "ghost" });
    expect(res.status).toBe(409);
    // No enrollment is left looking active with nothing running it.
    expect(await enrollmentsOf("manual-ghost", "ghost")).toHaveLength(0);
  });

  it("exits a run on request, and on an exit event", async () => {
    await account("leaver");
    await ws.request("PATCH", "/v1/accounts/leaver", { lifecycleStage: "onboarding" });
    const [first] = await enrollmentsOf("onboarding", "leaver");
    await eventually(
      async () => ((await trace(first?.id ?? "")).enrollment.currentStep === "login" ? true : undefined),
      "the wait",
    );
    const exit = await ws.request("POST", `/v1/enrollments/${first?.id}/exit`, { reason: "customer asked" });
    expect(exit.status).toBe(202);
    expect((await untilStatus(first?.id ?? "", "exited")).enrollment.exitReason).toBe("customer asked");

    await account("churner");
    await ws.request("PATCH", "/v1/accounts/churner", { lifecycleStage: "onboarding" });
    const [second] = await enrollmentsOf("onboarding", "churner");
    await eventually(
      async () => ((await trace(second?.id ?? "")).enrollment.currentStep === "login" ? true : undefined),
      "the wait",
    );
    await event("churner", "churned");
    expect((await untilStatus(second?.id ?? "", "exited")).enrollment.exitReason).toBe("exit_event:churned");
  });

  it("holds a touch while the journey is paused and sends it once resumed", async () => {
    await publish("pausable", { ...onboarding, trigger: { type: "manual" } });
    expect((await ws.request("POST", "/v1/journeys/pausable/pause")).status).toBe(200);
    await account("paused-co");
    const res = await ws.request("POST", "/v1/enrollments", { journey: "pausable", account: "paused-co" });
    const enrollment = (await res.json()) as Enrollment;
    const held = await untilStatus(enrollment.id, "held");
    expect(held.trace.find((t) => t.kind === "held")).toMatchObject({
      stepId: "welcome",
      detail: { because: "journey_paused", touchKey: "welcome:1" },
    });
    expect(await sentTouches(enrollment.id)).toEqual([]);

    expect((await ws.request("POST", "/v1/journeys/pausable/resume")).status).toBe(200);
    await eventually(
      async () => ((await sentTouches(enrollment.id)).length === 1 ? true : undefined),
      "the held touch",
    );
    expect((await trace(enrollment.id)).enrollment.status).toBe("active");

    expect((await ws.request("POST", "/v1/journeys/pausable/archive")).status).toBe(200);
    expect((await untilStatus(enrollment.id, "exited")).enrollment.exitReason).toBe("journey_archived");
  });

  it("starts event-triggered journeys from ingested events", async () => {
    await publish("trial", {
      name: "Trial started",
      trigger: { type: "event", event: "trial_started" },
      steps: [{ id: "hello", type: "email", template: "onboarding-welcome", to: "role:admin" }],
    });
    await account("trialist");
    await event("trialist", "trial_started");
    const [enrollment] = await eventually(async () => {
      const found = await enrollmentsOf("trial", "trialist");
      return found.length > 0 ? found : undefined;
    }, "the event-triggered enrollment");
    expect(enrollment?.trigger).toBe("event:trial_started");
    await untilStatus(enrollment?.id ?? "", "completed");
  });

  it("hands an account to its CSM and resumes or ends the journey with the CSM's outcome", async () => {
    await publish("call-first", {
      name: "Call first",
      trigger: { type: "manual" },
      reentry: { policy: "after_exit" },
      steps: [
        {
          id: "call",
          type: "escalate",
          reason: "Kick-off call",
          priority: "urgent",
          sla: "P1D",
          waitForResolution: true,
        },
        {
          id: "decided",
          type: "branch",
          if: { fact: "escalation.call.resolution", op: "eq", value: "upsell" },
          then: "offer",
          else: "after",
        },
        { id: "offer", type: "email", template: "onboarding-check-in", to: "role:admin", next: "end" },
        { id: "after", type: "email", template: "onboarding-check-in", to: "role:admin" },
        { id: "end", type: "exit" },
      ],
    });
    await account("handed");
    const enrollment = (await (
      await ws.request("POST", "/v1/enrollments", { journey: "call-first", account: "handed" })
    ).json()) as Enrollment;
    type Esc = {
      id: string;
      status: string;
      assignee: string;
      priority: string;
      dueAt: string;
      enrollmentId: string;
    };
    const [escalation] = await eventually(async () => {
      const { data } = (await (await ws.request("GET", "/v1/escalations?status=open")).json()) as {
        data: Esc[];
      };
      const mine = data.filter((e) => e.enrollmentId === enrollment.id);
      return mine.length > 0 ? mine : undefined;
    }, "the escalation in the inbox");
    expect(escalation).toMatchObject({ assignee: "hanako@vendor.example", priority: "urgent" });
    expect(Date.parse(escalation?.dueAt ?? "") - Date.parse(enrollment.enteredAt)).toBeGreaterThan(
      23 * 3_600_000,
    );

    const ack = await ws.request("POST", `/v1/escalations/${escalation?.id}/acknowledge`);
    expect(((await ack.json()) as Esc).status).toBe("acknowledged");
    expect((await ws.request("POST", `/v1/escalations/${escalation?.id}/acknowledge`)).status).toBe(409);
    const resolved = await ws.request("POST", `/v1/escalations/${escalation?.id}/resolve`, {
      outcome: "resume",
      resolution: "upsell",
      notes: "Called; they want more seats.",
    });
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toMatchObject({
      status: "resolved",
      outcome: "resume",
      resolution: "upsell",
    });
    // The exit step after the offer ends the run.
    const done = await untilStatus(enrollment.id, "exited");
    expect(done.trace.map((t) => t.kind)).toEqual(
      expect.arrayContaining(["escalated", "csm_notified", "escalation_resolved", "touch", "sent"]),
    );
    // The journey branched on what the CSM decided.
    expect(done.trace.find((t) => t.kind === "escalation_resolved")?.detail).toEqual({
      resume: true,
      resolution: "upsell",
    });
    expect(done.trace.find((t) => t.kind === "branch")?.detail).toMatchObject({
      result: true,
      next: "offer",
    });
    expect(done.trace.filter((t) => t.kind === "sent").map((t) => t.stepId)).toEqual(["offer"]);

    // The second time the CSM closes it: the journey ends there.
    const again = (await (
      await ws.request("POST", "/v1/enrollments", { journey: "call-first", account: "handed" })
    ).json()) as Enrollment;
    const [second] = await eventually(async () => {
      const { data } = (await (await ws.request("GET", "/v1/escalations?status=open")).json()) as {
        data: Esc[];
      };
      const mine = data.filter((e) => e.enrollmentId === again.id);
      return mine.length > 0 ? mine : undefined;
    }, "the second escalation");
    await ws.request("POST", `/v1/escalations/${second?.id}/resolve`, { outcome: "exit" });
    expect((await untilStatus(again.id, "exited")).enrollment.exitReason).toBe("escalation_closed");
    // Resolving again: the same outcome is a safe retry, another one a conflict.
    expect(
      (await ws.request("POST", `/v1/escalations/${second?.id}/resolve`, { outcome: "exit" })).status,
    ).toBe(200);
    expect(
      (await ws.request("POST", `/v1/escalations/${second?.id}/resolve`, { outcome: "resume" })).status,
    ).toBe(409);
    expect(
      (await ws.request("POST", `/v1/escalations/${second?.id}/reassign`, { assignee: "not-an-email" }))
        .status,
    ).toBe(422);
  });

  it("creates the workspace's daily renewal-window Schedule when a renewal journey is published", async () => {
    await publish("renewals", {
      name: "Renewal",
      trigger: { type: "renewal_window", daysBefore: 120 },
      steps: [{ id: "kickoff", type: "email", template: "renewal-kickoff", to: "role:decision_maker" }],
    });
    const schedule = await stack.client.schedule.getHandle(`renewal-scan:${ws.workspaceId}`).describe();
    expect(schedule.action).toMatchObject({ type: "startWorkflow", workflowType: "renewalScan" });
    expect(schedule.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 6, end: 6, step: 1 }] });
  });

  it("answers 404 for another workspace's enrollment and 422 for a bad request", async () => {
    const [enrollment] = await enrollmentsOf("onboarding", "acme");
    const stranger = await stack.newWorkspace();
    expect((await stranger.request("GET", `/v1/enrollments/${enrollment?.id}/trace`)).status).toBe(404);
    expect((await stranger.request("POST", `/v1/enrollments/${enrollment?.id}/exit`)).status).toBe(404);
    expect((await ws.request("POST", "/v1/enrollments", { journey: "onboarding" })).status).toBe(422);
    const missing = await ws.request("POST", "/v1/enrollments", { journey: "nope", account: "acme" });
    expect(missing.status).toBe(404);
    expect(
      ((await missing.json()) as { errors: { pointer: string }[] }).errors.map((e) => e.pointer),
    ).toEqual(["/journey"]);
  });

  it("survives a worker stopped mid-send: that send completes once, the next worker goes on without resending", async () => {
    const smtp = await gatedSmtp();
    const transport = createSmtpTransport(smtp.url);
    // The file's worker steps aside; these ones send through the SMTP server that counts deliveries.
    await stack.stopWorker();
    const startWorker = async () => {
      const worker = await Worker.create({
        connection: stack.workerConfig.connection,
        namespace: stack.workerConfig.namespace,
        taskQueue: stack.taskQueue,
        activities: createActivities({ ...stack.workerConfig, transport }),
        workflowBundle: { codePath: inject("workflowBundlePath") },
        // A stopped worker's sticky tasks move to the shared queue quickly.
        stickyQueueScheduleToStartTimeout: "1s",
        shutdownForceTime: "30s",
      });
      const running = worker.run();
      return {
        stop: async () => {
          worker.shutdown();
          await running;
        },
      };
    };
    await publish("restart", {
      name: "Restart",
      trigger: { type: "manual" },
      steps: [
        { id: "welcome", type: "email", template: "onboarding-welcome", to: "all_contacts" },
        { id: "pause", type: "wait", duration: "PT3S" },
        { id: "check-in", type: "email", template: "onboarding-check-in", to: "all_contacts" },
      ],
    });
    await account("restart");
    await ws.request("PUT", "/v1/accounts/restart/contacts/stall", {
      email: "stall@restart.example",
      name: "Hanako Sato",
      role: "champion",
    });

    let worker = await startWorker();
    try {
      const res = await ws.request("POST", "/v1/enrollments", { journey: "restart", account: "restart" });
      const { id } = (await res.json()) as Enrollment;
      // The welcome reached admin@ and is on the wire to stall@ when the worker is told to stop (a
      // deploy's SIGTERM): it finishes that send and records it, and takes nothing new.
      await eventually(async () => (smtp.holding() ? true : undefined), "the welcome to stall@ in flight");
      expect(smtp.accepted).toEqual([{ to: "admin@restart.example", touch: "welcome:1" }]);
      const stopping = worker.stop();
      smtp.release();
      await stopping;
      expect((await trace(id)).enrollment.currentStep).toBe("pause");

      // A fresh worker (nothing cached: it replays the history) wakes the run when its wait is over.
      worker = await startWorker();
      const done = await untilStatus(id, "completed", 60_000);

      expect(done.trace.filter((t) => t.kind === "sent").map((t) => [t.stepId, t.detail.recipients])).toEqual(
        [
          ["welcome", ["admin@restart.example", "stall@restart.example"]],
          ["check-in", ["admin@restart.example", "stall@restart.example"]],
        ],
      );
      expect(done.trace.map((t) => `${t.stepId ?? "-"} ${t.kind}`)).toContain("pause wait_over");
      // What the SMTP server took: every touch once per contact, nothing sent again after a restart.
      expect(smtp.accepted.map((m) => `${m.touch} ${m.to}`).sort()).toEqual([
        "check-in:1 admin@restart.example",
        "check-in:1 stall@restart.example",
        "welcome:1 admin@restart.example",
        "welcome:1 stall@restart.example",
      ]);
    } finally {
      await worker.stop();
      await smtp.close();
    }
  }, 120_000);
});

/**
 * A real SMTP server counting the messages it accepts (by recipient and X-Volante-Touch). The first
 * message to stall@ is held unanswered, the sender mid-send, until `release()` accepts it.
 */
async function gatedSmtp() {
  const accepted: { to: string; touch: string }[] = [];
  let held: (() => void) | undefined;
  let stalled = false;
  const server = await smtpServer(({ to: recipients, raw: bytes }, answer) => {
    const to = recipients.join(",");
    const raw = bytes.toString("utf8");
    const accept = () => {
      accepted.push({ to, touch: /^X-Volante-Touch: (.+)$/m.exec(raw)?.[1]?.trim() ?? "" });
      answer();
    };
    if (to === "stall@restart.example" && !stalled) {
      stalled = true;
      held = accept;
      return;
    }
    accept();
  });
  return {
    url: server.url,
    accepted,
    holding: () => held !== undefined,
    release: () => held?.(),
    close: server.close,
  };
}
