import { stat, writeFile } from "node:fs/promises";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BulkResult } from "../apps/core/enrollments/bulk";
import { type BulkOperation, runBulkBatch } from "../apps/core/enrollments/bulk-operations";
import type { Enrollment } from "../apps/core/enrollments/schemas";
import type { PublishedVersion } from "../apps/core/journeys/publish";
import { createWorker } from "../apps/worker/worker";
import { enrollments } from "../db/schema/index";
import { type BulkProgress, bulkOperationWorkflowId } from "../workflows/contracts";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "./harness";

// Issue 15, item 3: bulk actions and backfills too large for their request run as a bulk operation,
// a workflow that works through the matched set in batches and records its progress.

let stack: TestStack;
let ws: TestWorkspace;

/** A few dozen accounts: with this file's limits (10 at once, 7 per batch), five batches each. */
const accounts = Array.from({ length: 30 }, (_, i) => `op-${String(i).padStart(2, "0")}`);
const SYNC_LIMIT = 10;
const BATCH = 7;

beforeAll(async () => {
  stack = await startTestStack();
  // This file's API runs anything over 10 accounts in the background, 7 per batch.
  stack.deps.bulkLimits = { syncLimit: SYNC_LIMIT, batchSize: BATCH };
  ws = await stack.newWorkspace("Bulk Ops Co");
  for (const id of accounts) {
    const res = await ws.request("PUT", `/v1/accounts/${id}`, {
      name: `${id} KK`,
      tier: "tech_touch",
      lifecycleStage: "onboarding",
    });
    expect(res.status).toBe(201);
  }
  const steps = [
    { id: "pause", type: "wait", duration: "P1D" },
    { id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" },
  ];
  await ws.request("PUT", "/v1/journeys/manual", { name: "Manual", trigger: { type: "manual" }, steps });
  expect((await ws.request("POST", "/v1/journeys/manual/publish")).status).toBe(201);
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

async function bulk(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await ws.request("POST", "/v1/enrollments/bulk", body, headers);
  return { res, body: (await res.json()) as BulkOperation & BulkResult };
}

async function operation(id: string, as = ws): Promise<BulkOperation> {
  const res = await as.request("GET", `/v1/bulk-operations/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as BulkOperation;
}

const finished = (id: string) =>
  eventually(
    async () => {
      const op = await operation(id);
      return op.status === "completed" || op.status === "failed" ? op : undefined;
    },
    `bulk operation ${id} to finish`,
    60_000,
  );

/**
 * The progress each batch of the operation's workflow returned, from its Temporal history; the
 * history is committed once (tests/histories/bulk-operation.json) for the replay test.
 */
async function batchProgress(id: string): Promise<number[]> {
  const history = await stack.client.workflow.getHandle(bulkOperationWorkflowId(id)).fetchHistory();
  const recorded = new URL("./histories/bulk-operation.json", import.meta.url).pathname;
  if (!(await stat(recorded).catch(() => null))) await writeFile(recorded, JSON.stringify(history));
  const scheduled = new Map<string, string>();
  const done: number[] = [];
  for (const event of history.events ?? []) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s && event.eventId) scheduled.set(String(event.eventId), s.activityType?.name ?? "");
    const c = event.activityTaskCompletedEventAttributes;
    if (c && scheduled.get(String(c.scheduledEventId)) === "runBulkBatch") {
      const data = c.result?.payloads?.[0]?.data;
      if (data) done.push((JSON.parse(Buffer.from(data).toString("utf8")) as BulkProgress).done);
    }
  }
  return done;
}

async function enrollmentsIn(journey: string, status?: string): Promise<Enrollment[]> {
  const res = await ws.request(
    "GET",
    `/v1/enrollments?journey=${journey}&limit=500${status ? `&status=${status}` : ""}`,
  );
  return ((await res.json()) as { data: Enrollment[] }).data;
}

describe("bulk operations", () => {
  it("enrolls more accounts than the sync limit in the background, batch by batch, with its progress", async () => {
    const { res, body } = await bulk({
      action: "enroll",
      journey: "manual",
      filter: { tiers: ["tech_touch"] },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get("location")).toBe(`/v1/bulk-operations/${body.id}`);
    expect(res.headers.get("preference-applied")).toBeNull();
    expect(body).toMatchObject({
      kind: "enroll",
      journey: "manual",
      request: { filter: { tiers: ["tech_touch"] } },
      status: "queued",
      total: 30,
      done: 0,
    });

    const op = await finished(body.id);
    expect(op).toMatchObject({
      status: "completed",
      total: 30,
      done: 30,
      changed: 30,
      skipped: {},
      percent: 100,
      error: null,
    });
    expect(op.startedAt).not.toBeNull();
    expect(Date.parse(op.finishedAt ?? "")).toBeGreaterThanOrEqual(Date.parse(op.startedAt ?? ""));
    // One activity per batch of 7, each recording the running total; the short last one ends the run.
    expect(await batchProgress(body.id)).toEqual([7, 14, 21, 28, 30]);
    const enrolled = await enrollmentsIn("manual");
    expect(enrolled).toHaveLength(30);
    expect(new Set(enrolled.map((e) => e.account))).toEqual(new Set(accounts));
    expect(enrolled.every((e) => e.trigger === "bulk")).toBe(true);
  });

  it("repeated, enrolls no one twice: every account is skipped as already enrolled", async () => {
    const { res, body } = await bulk({
      action: "enroll",
      journey: "manual",
      filter: { stages: ["onboarding"] },
    });
    expect(res.status).toBe(202);
    expect(await finished(body.id)).toMatchObject({
      status: "completed",
      done: 30,
      changed: 0,
      skipped: { "already enrolled": 30 },
    });
    expect(await enrollmentsIn("manual")).toHaveLength(30);
  });

  it("runs a small pause in the background when asked with Prefer: respond-async, and a large exit", async () => {
    const few = accounts.slice(0, 3);
    const paused = await bulk(
      { action: "pause", journey: "manual", filter: { accounts: few } },
      { prefer: "wait=10, respond-async" },
    );
    expect(paused.res.status).toBe(202);
    expect(paused.res.headers.get("preference-applied")).toBe("respond-async");
    expect(await finished(paused.body.id)).toMatchObject({ kind: "pause", total: 3, changed: 3 });
    // Without the preference, the same small request answers at once: nothing is left to pause.
    const again = await bulk({ action: "pause", journey: "manual", filter: { accounts: few } });
    expect(again.res.status).toBe(200);
    expect(again.body).toMatchObject({ matched: 0, changed: 0 });

    const exit = await bulk({
      action: "exit",
      journey: "manual",
      filter: { tiers: ["tech_touch"] },
      reason: "bulk test",
    });
    expect(exit.res.status).toBe(202);
    expect(await finished(exit.body.id)).toMatchObject({
      kind: "exit",
      request: { filter: { tiers: ["tech_touch"] }, reason: "bulk test" },
      total: 30,
      done: 30,
      changed: 30,
    });
    await eventually(
      async () => ((await enrollmentsIn("manual", "exited")).length === 30 ? true : undefined),
      "every run to exit",
      30_000,
    );
    expect((await enrollmentsIn("manual", "exited"))[0]?.exitReason).toBe("bulk test");
  });

  it("publishes at once and backfills a large match in the background", async () => {
    await ws.request("PUT", "/v1/journeys/onboarding", {
      name: "Onboarding",
      trigger: { type: "stage_entered", stage: "onboarding" },
      steps: [
        { id: "pause", type: "wait", duration: "P1D" },
        { id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" },
      ],
    });
    const res = await ws.request("POST", "/v1/journeys/onboarding/publish", { backfill: true });
    expect(res.status).toBe(201);
    const version = (await res.json()) as PublishedVersion;
    expect(version.version).toBe(1);
    const backfill = version.backfill as { operation: BulkOperation };
    expect(backfill.operation).toMatchObject({
      kind: "backfill",
      journey: "onboarding",
      request: { version: 1 },
      total: 30,
    });
    expect(res.headers.get("link")).toBe(`</v1/bulk-operations/${backfill.operation.id}>; rel="monitor"`);

    expect(await finished(backfill.operation.id)).toMatchObject({
      status: "completed",
      changed: 30,
      done: 30,
    });
    const enrolled = await enrollmentsIn("onboarding");
    expect(enrolled).toHaveLength(30);
    expect(enrolled.every((e) => e.trigger === "backfill" && e.version === 1)).toBe(true);
  });

  it("a retried resume batch signals the runs an earlier attempt cleared but did not signal", async () => {
    await ws.request("PUT", "/v1/accounts/resumed", {
      name: "Resumed KK",
      tier: "low_touch",
      lifecycleStage: "adoption",
    });
    await ws.request("PUT", "/v1/accounts/resumed/contacts/admin", {
      email: "admin@resumed.example",
      role: "admin",
    });
    await ws.request("PUT", "/v1/journeys/soon", {
      name: "Soon",
      trigger: { type: "manual" },
      steps: [
        { id: "pause", type: "wait", duration: "PT1S" },
        { id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" },
      ],
    });
    expect((await ws.request("POST", "/v1/journeys/soon/publish")).status).toBe(201);
    const filter = { accounts: ["resumed"] };
    expect((await bulk({ action: "enroll", journey: "soon", filter })).body.changed).toBe(1);
    expect((await bulk({ action: "pause", journey: "soon", filter })).body.changed).toBe(1);
    const [held] = await eventually(async () => {
      const found = await enrollmentsIn("soon", "held");
      return found.length === 1 ? found : undefined;
    }, "the paused run to hold its welcome");
    if (!held) throw new Error("no held run");

    // An attempt that cleared the pause, then died before its signal: the run waits on.
    await stack.database.db.update(enrollments).set({ pausedAt: null }).where(eq(enrollments.id, held.id));
    const { res, body } = await bulk(
      { action: "resume", journey: "soon", filter },
      { prefer: "respond-async" },
    );
    expect(res.status).toBe(202);
    expect(await finished(body.id)).toMatchObject({ total: 0, changed: 0 });

    // Its retry finds the run cleared but held, and sends the resume it missed.
    const progress = { after: null, done: 0, changed: 0, skipped: {} };
    const input = { workspaceId: ws.workspaceId, operationId: body.id, batchSize: BATCH, progress };
    expect(await runBulkBatch(stack.deps, input, 2)).toMatchObject({ done: 0, changed: 0, finished: true });
    await eventually(async () => {
      const [e] = await enrollmentsIn("soon");
      return e?.status === "completed" ? e : undefined;
    }, "the resumed run to send its welcome and complete");
  });

  it("lists the workspace's operations newest first, a page at a time", async () => {
    const first = await ws.request("GET", "/v1/bulk-operations?limit=2");
    const page = (await first.json()) as { data: BulkOperation[]; nextCursor: string | null };
    expect(page.data.map((o) => o.kind)).toEqual(["resume", "backfill"]);
    const rest = await ws.request("GET", `/v1/bulk-operations?cursor=${page.nextCursor}`);
    const next = (await rest.json()) as { data: BulkOperation[]; nextCursor: string | null };
    expect(next.data.map((o) => o.kind)).toEqual(["exit", "pause", "enroll", "enroll"]);
    expect(next.nextCursor).toBeNull();
    expect((await ws.request("GET", "/v1/bulk-operations?cursor=forged")).status).toBe(400);
  });

  it("answers 404 for another workspace's operation, and for an id that is none", async () => {
    const other = await stack.newWorkspace("Other Co");
    const [mine] = (
      (await (await ws.request("GET", "/v1/bulk-operations")).json()) as { data: BulkOperation[] }
    ).data;
    for (const [as, id] of [
      [other, mine?.id],
      [ws, "not-a-uuid"],
      [ws, "00000000-0000-4000-8000-000000000000"],
    ] as const) {
      const res = await as.request("GET", `/v1/bulk-operations/${id}`);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
    const list = await other.request("GET", "/v1/bulk-operations");
    expect(((await list.json()) as { data: unknown[] }).data).toEqual([]);
  });

  it("waits queued while no worker runs, and completes when a worker is back (run last: it replaces the worker)", async () => {
    await stack.stopWorker();
    const { res, body } = await bulk(
      { action: "enroll", journey: "manual", filter: { tiers: ["low_touch"] } },
      { prefer: "respond-async" },
    );
    expect(res.status).toBe(202);
    expect(await operation(body.id)).toMatchObject({
      status: "queued",
      total: 1,
      done: 0,
      percent: 0,
      startedAt: null,
    });

    const worker = await createWorker(stack.workerConfig);
    const running = worker.run();
    try {
      expect(await finished(body.id)).toMatchObject({
        status: "completed",
        done: 1,
        changed: 1,
        percent: 100,
      });
    } finally {
      worker.shutdown();
      await running;
    }
    expect((await enrollmentsIn("manual")).map((e) => e.account)).toContain("resumed");
  });
});
