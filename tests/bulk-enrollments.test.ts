import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BulkResult } from "../apps/core/enrollments/bulk";
import type { Enrollment, TraceEntry } from "../apps/core/enrollments/schemas";
import {
  eventually,
  type SmtpSink,
  smtpSink,
  startTestStack,
  type TestStack,
  type TestWorkspace,
} from "./harness";

// Issue 15, item 3: bulk enroll, pause, resume and exit by filter, and what a backfill refuses.

let smtp: SmtpSink;
let stack: TestStack;
let ws: TestWorkspace;

const tech = ["b1", "b2", "b3", "b4"];

beforeAll(async () => {
  smtp = await smtpSink();
  stack = await startTestStack({ smtpUrl: smtp.url });
  ws = await stack.newWorkspace("Bulk Co");
  for (const id of [...tech, "b5"]) {
    await ws.request("PUT", `/v1/accounts/${id}`, {
      name: `${id} KK`,
      tier: id === "b5" ? "low_touch" : "tech_touch",
    });
    await ws.request("PUT", `/v1/accounts/${id}/contacts/admin`, {
      email: `admin@${id}.example`,
      role: "admin",
    });
  }
  for (const [key, wait] of [
    ["soon", "PT3S"],
    ["later", "P1D"],
  ]) {
    await ws.request("PUT", `/v1/journeys/${key}`, {
      name: key,
      trigger: { type: "manual" },
      steps: [
        { id: "pause", type: "wait", duration: wait },
        { id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" },
      ],
    });
    expect((await ws.request("POST", `/v1/journeys/${key}/publish`)).status).toBe(201);
  }
});
afterAll(async () => {
  await stack?.close();
  await smtp?.close();
});

async function bulk(body: Record<string, unknown>) {
  const res = await ws.request("POST", "/v1/enrollments/bulk", body);
  return { status: res.status, body: (await res.json()) as BulkResult & { errors?: { pointer: string }[] } };
}

async function enrollmentOf(journey: string, account: string): Promise<Enrollment> {
  const res = await ws.request("GET", `/v1/enrollments?journey=${journey}&account=${account}`);
  const [found] = ((await res.json()) as { data: Enrollment[] }).data;
  if (!found) throw new Error(`${account} is not in ${journey}`);
  return found;
}

const mailTo = (account: string) => smtp.mail.filter((m) => m.to.includes(`admin@${account}.example`));

describe("POST /v1/enrollments/bulk", () => {
  it("refuses a bad request with the field's pointer", async () => {
    const cases: [Record<string, unknown>, string, number][] = [
      [{ action: "enroll", journey: "soon", filter: {} }, "/filter", 422],
      [{ action: "delete", journey: "soon", filter: { tiers: ["tech_touch"] } }, "/action", 422],
      [{ action: "enroll", journey: "soon", filter: { tiers: ["gold"] } }, "/filter/tiers/0", 422],
      [{ action: "exit", journey: "soon", filter: { owners: ["not-an-email"] } }, "/filter/owners/0", 422],
      [{ action: "enroll", journey: "nope", filter: { tiers: ["tech_touch"] } }, "/journey", 404],
    ];
    for (const [body, pointer, status] of cases) {
      const res = await bulk(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.errors?.map((e) => e.pointer)).toContain(pointer);
    }
  });

  it("counts, then enrolls the accounts a filter names, and enrolls no one twice", async () => {
    const request = { action: "enroll", journey: "soon", filter: { tiers: ["tech_touch"] } };
    const dry = await bulk({ ...request, dryRun: true });
    expect(dry).toEqual({
      status: 200,
      body: { action: "enroll", journey: "soon", dryRun: true, matched: 4, changed: 4, skipped: {} },
    });
    const none = await ws.request("GET", "/v1/enrollments?journey=soon");
    expect(((await none.json()) as { data: unknown[] }).data).toEqual([]);

    expect((await bulk(request)).body).toMatchObject({ matched: 4, changed: 4, skipped: {} });
    expect((await bulk(request)).body).toMatchObject({
      matched: 4,
      changed: 0,
      skipped: { "already enrolled": 4 },
    });
    expect((await enrollmentOf("soon", "b1")).trigger).toBe("bulk");
  });

  it("pauses enrollments so their touch holds, and resumes them so it goes out", async () => {
    const paused = await bulk({ action: "pause", journey: "soon", filter: { accounts: ["b1", "b2"] } });
    expect(paused.body).toMatchObject({ matched: 2, changed: 2 });
    expect(
      (await bulk({ action: "pause", journey: "soon", filter: { accounts: ["b1"] } })).body.changed,
    ).toBe(0);

    // The others' wait ends and their welcome goes out; the paused ones hold before theirs.
    await eventually(
      async () => (mailTo("b3").length && mailTo("b4").length ? true : undefined),
      "b3 and b4's welcome",
    );
    const held = await eventually(async () => {
      const e = await enrollmentOf("soon", "b1");
      const res = await ws.request("GET", `/v1/enrollments/${e.id}/trace`);
      const { trace } = (await res.json()) as { trace: TraceEntry[] };
      return trace.find((t) => t.kind === "held");
    }, "b1's welcome held");
    expect(held.detail).toMatchObject({ because: "enrollment_paused" });
    expect((await enrollmentOf("soon", "b1")).status).toBe("held");
    expect(mailTo("b1")).toEqual([]);
    expect(mailTo("b2")).toEqual([]);

    const resumed = await bulk({ action: "resume", journey: "soon", filter: { tiers: ["tech_touch"] } });
    expect(resumed.body).toMatchObject({ matched: 2, changed: 2 });
    await eventually(
      async () => (mailTo("b1").length && mailTo("b2").length ? true : undefined),
      "b1 and b2's welcome",
    );
    expect(mailTo("b1")).toHaveLength(1);
  });

  it("exits the running enrollments a filter names, once", async () => {
    await bulk({ action: "enroll", journey: "later", filter: { accounts: ["b3", "b4", "b5"] } });
    const exit = await bulk({
      action: "exit",
      journey: "later",
      filter: { accounts: ["b3"] },
      reason: "churn risk",
    });
    expect(exit.body).toMatchObject({ action: "exit", matched: 1, changed: 1 });
    const exited = await eventually(async () => {
      const e = await enrollmentOf("later", "b3");
      return e.status === "exited" ? e : undefined;
    }, "b3 to leave the journey");
    expect(exited.exitReason).toBe("churn risk");
    expect((await enrollmentOf("later", "b4")).status).toBe("active");
    expect(
      (await bulk({ action: "exit", journey: "later", filter: { accounts: ["b3"] } })).body.changed,
    ).toBe(0);
  });
});

describe("backfill at publish", () => {
  it("refuses a backfill of an event-triggered journey with /backfill and publishes nothing", async () => {
    await ws.request("PUT", "/v1/journeys/on-event", {
      name: "On event",
      trigger: { type: "event", event: "signed_up" },
      steps: [{ id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" }],
    });
    for (const backfill of [true, "dry_run"]) {
      const res = await ws.request("POST", "/v1/journeys/on-event/publish", { backfill });
      expect(res.status).toBe(422);
      const problem = (await res.json()) as { errors: { pointer: string; message: string }[] };
      expect(problem.errors[0]?.pointer).toBe("/backfill");
      expect(problem.errors[0]?.message).toMatch(/event/);
    }
    const journey = (await (await ws.request("GET", "/v1/journeys/on-event")).json()) as {
      latestVersion: number | null;
    };
    expect(journey.latestVersion).toBeNull();
    const bad = await ws.request("POST", "/v1/journeys/on-event/publish", { backfill: "yes" });
    expect(bad.status).toBe(422);
  });
});
