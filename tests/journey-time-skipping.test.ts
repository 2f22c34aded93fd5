import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WorkflowHandle } from "@temporalio/client";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import type { Worker } from "@temporalio/worker";
import { and, asc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { upsertContact } from "../apps/core/accounts/contacts";
import { upsertAccount } from "../apps/core/accounts/save-account";
import { loadRenderer } from "../apps/core/delivery/render";
import { enroll } from "../apps/core/enrollments/enroll";
import { type RuntimeDeps, signalJourneyRuns } from "../apps/core/enrollments/runtime";
import { onHealthBandEntered, onStageEntered, scanRenewalWindows } from "../apps/core/enrollments/triggers";
import { ingestEvents } from "../apps/core/events/ingest";
import { routeEventsToRuns } from "../apps/core/events/route";
import { publishJourney, saveDraft, transitionJourney } from "../apps/core/journeys/journeys";
import { systemClock } from "../apps/core/shared/services";
import { loadFileTemplates, loadPlaybooks } from "../apps/core/templates/files";
import { fileTemplateCatalog } from "../apps/core/templates/message-templates";
import { createWorkspace } from "../apps/core/workspace/api-keys";
import { Settings, saveSettings } from "../apps/core/workspace/settings";
import { createLogger } from "../apps/logger";
import { provisionTimeSkippingEnv } from "../apps/temporal/time-skipping";
import { createActivities } from "../apps/worker/activities";
import { createWorker } from "../apps/worker/worker";
import type { Database } from "../db/client";
import { enrollments, enrollmentTrace, escalations, touches } from "../db/schema";
import {
  accountEventSignal,
  escalationResolvedSignal,
  type JourneyRunWorkflow,
  stateQuery,
} from "../workflows/contracts";
import { openTestDatabase } from "./test-database";

// The journey runtime on Temporal's time-skipping test server: months of waits in seconds.
const DAY = 86_400_000;
let env: TestWorkflowEnvironment;
let database: Database;
let worker: Worker;
let running: Promise<void>;
let outboxDir: string;
let deps: RuntimeDeps;
let workspaceId: string;
let catalog: ReturnType<typeof fileTemplateCatalog>;
const taskQueue = `time-skipping-${process.pid}`;
const historiesDir = new URL("./histories/", import.meta.url).pathname;

beforeAll(async () => {
  env = await provisionTimeSkippingEnv({
    explicitPath: inject("testServerPath"),
    searchPath: inject("searchPath"),
    cacheDir: inject("cacheDir"),
  });
  database = await openTestDatabase();
  outboxDir = await mkdtemp(join(tmpdir(), "volante-ts-outbox-"));
  const fileTemplates = await loadFileTemplates();
  catalog = fileTemplateCatalog(fileTemplates);
  worker = await createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? "default",
    taskQueue,
    db: database.db,
    clock: systemClock,
    // The webhook receivers here listen on loopback.
    outbound: { allow: ["127.0.0.0/8", "::1"] },
    renderer: await loadRenderer(),
    log: createLogger("warn"),
    client: env.client,
    outboxDir,
    fileTemplates,
    publicUrl: "http://localhost:3000",
    workflowBundle: { codePath: inject("workflowBundlePath") },
  });
  running = worker.run();
  deps = { db: database.db, client: env.client, taskQueue, clock: systemClock };
  workspaceId = (await createWorkspace(database.db, "Time skipping")).workspaceId;
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await database?.close();
  await rm(outboxDir, { recursive: true, force: true });
});

let counter = 0;

async function publish(definition: Record<string, unknown>): Promise<string> {
  const key = `${String(definition.key ?? "j")}-${counter++}`;
  const saved = await saveDraft(database.db, workspaceId, key, { ...definition, key }, catalog, new Date());
  if (!saved.ok) throw new Error(JSON.stringify(saved.problems));
  const published = await publishJourney(database.db, workspaceId, key, catalog, new Date());
  if (!published.ok) throw new Error(JSON.stringify(published.problems));
  const [row] = await database.db.query.journeys.findMany({
    where: (j, { and: all, eq: is }) => all(is(j.workspaceId, workspaceId), is(j.key, key)),
  });
  return row?.id ?? "";
}

async function account(
  externalId: string,
  extra: Partial<Parameters<typeof upsertAccount>[3]> = {},
  roles: ("admin" | "decision_maker" | "champion")[] = ["admin"],
): Promise<string> {
  await upsertAccount(
    database.db,
    workspaceId,
    externalId,
    {
      name: `${externalId} KK`,
      tier: "tech_touch",
      lifecycleStage: "adoption",
      licenses: 10,
      ownerCsm: "hanako@vendor.example",
      attributes: {},
      ...extra,
    },
    new Date(),
  );
  const row = await database.db.query.accounts.findFirst({
    where: (a, { and: all, eq: is }) => all(is(a.workspaceId, workspaceId), is(a.externalId, externalId)),
  });
  if (!row) throw new Error("account missing");
  for (const role of roles) {
    await upsertContact(
      database.db,
      row,
      role,
      {
        email: `${role}@${externalId}.example`,
        name: `${role} san`,
        role,
        locale: role === "champion" ? "ja" : "en",
        attributes: {},
      },
      new Date(),
    );
  }
  return row.id;
}

function handleOf(workflowId: string): WorkflowHandle<JourneyRunWorkflow> {
  return env.client.workflow.getHandle(workflowId);
}

/** Lets virtual time run a day at a time, resolving escalations the run waits for, until it finishes. */
async function runToEnd(workflowId: string, maxDays = 400) {
  const handle = handleOf(workflowId);
  for (let day = 0; day < maxDays; day++) {
    const state = await handle.query(stateQuery);
    if (state?.status === "completed" || state?.status === "exited") return handle.result();
    if (state?.wait?.kind === "escalation") {
      await handle.signal(escalationResolvedSignal, {
        escalationKey: state.wait.escalationKey,
        resume: true,
      });
    }
    await env.sleep(DAY);
  }
  throw new Error(`${workflowId} still running after ${maxDays} virtual days`);
}

async function traceKinds(enrollmentId: string) {
  const rows = await database.db
    .select()
    .from(enrollmentTrace)
    .where(eq(enrollmentTrace.enrollmentId, enrollmentId))
    .orderBy(asc(enrollmentTrace.transition), asc(enrollmentTrace.position));
  return rows;
}

async function touchRows(enrollmentId: string) {
  return database.db
    .select()
    .from(touches)
    .where(eq(touches.enrollmentId, enrollmentId))
    .orderBy(asc(touches.createdAt));
}

async function enrollmentRow(id: string) {
  const [row] = await database.db.select().from(enrollments).where(eq(enrollments.id, id));
  return row;
}

async function recordHistory(name: string, workflowId: string) {
  const file = join(historiesDir, `${name}.json`);
  // Histories are recorded once and committed; replay tests guard determinism against them.
  if (await stat(file).catch(() => null)) return;
  await mkdir(historiesDir, { recursive: true });
  const history = await handleOf(workflowId).fetchHistory();
  await writeFile(file, JSON.stringify(history));
}

async function playbook(key: string) {
  const found = (await loadPlaybooks()).find((p) => p.key === key);
  if (!found) throw new Error(`no playbook ${key}`);
  return found.definition as Record<string, unknown>;
}

const single = (trigger: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  key: "single",
  name: "Single touch",
  trigger,
  steps: [{ id: "hello", type: "email", template: "onboarding-welcome", to: "role:admin" }],
  ...extra,
});

describe("journey runtime on the time-skipping server", () => {
  it("runs the renewal playbook's 120 days in seconds, escalating an at-risk account to its CSM", async () => {
    const journeyId = await publish(await playbook("renewal-prep"));
    const renewal = new Date(Date.now() + 119 * DAY).toISOString().slice(0, 10);
    await account("renewing", { renewalDate: renewal }, ["decision_maker", "champion"]);
    expect(await scanRenewalWindows(deps, workspaceId, new Date().toISOString())).toBe(1);
    // The scan is idempotent: a second run the same day enrolls nobody.
    expect(await scanRenewalWindows(deps, workspaceId, new Date().toISOString())).toBe(0);

    const [row] = await database.db.select().from(enrollments).where(eq(enrollments.journeyId, journeyId));
    await runToEnd(row?.workflowId ?? "");
    const done = await enrollmentRow(row?.id ?? "");
    expect(done?.status).toBe("completed");

    const trace = await traceKinds(row?.id ?? "");
    const risk = trace.find((t) => t.stepId === "risk-check");
    expect(risk?.detail).toMatchObject({ result: true, next: "at-risk" });
    expect(risk?.detail.facts).toMatchObject({ "deployment.ratio": 0 });
    const escalated = trace.find((t) => t.kind === "csm_notified" && t.stepId === "at-risk");
    expect(escalated?.detail).toMatchObject({ to: "hanako@vendor.example", status: "sent" });
    // 90 days before renewal, in virtual time.
    expect(Math.round((Date.parse(`${renewal}T00:00:00Z`) - (risk?.at.getTime() ?? 0)) / DAY)).toBe(90);

    const sent = (await touchRows(row?.id ?? "")).filter((t) => t.status === "sent").map((t) => t.touchKey);
    expect(sent).toEqual(
      expect.arrayContaining([
        "kickoff-decision-maker:1",
        "kickoff-champion:1",
        "usage-summary-decision-maker:1",
        "usage-summary-champion:1",
        "escalation:at-risk:1",
        "final-reminder:1",
      ]),
    );
    expect(new Set(sent).size).toBe(sent.length);
    await recordHistory("renewal-prep", row?.workflowId ?? "");
  });

  it("runs the onboarding playbook for a silent account: nudges, a call on day 7, then adoption", async () => {
    const journeyId = await publish({
      ...(await playbook("onboarding-tech-touch")),
      trigger: { type: "manual" },
    });
    const accountId = await account("silent");
    const outcome = await enroll(deps, { workspaceId, journeyId, accountId, trigger: "manual" });
    expect(outcome.enrolled).toBe(true);
    if (!outcome.enrolled) return;
    await runToEnd(outcome.enrollment.workflowId);
    const trace = await traceKinds(outcome.enrollment.id);
    const entered = trace.find((t) => t.kind === "entered");
    const call = trace.find((t) => t.stepId === "no-login-call" && t.kind === "escalated");
    expect(Math.round(((call?.at.getTime() ?? 0) - (entered?.at.getTime() ?? 0)) / DAY)).toBe(7);
    expect((await enrollmentRow(outcome.enrollment.id))?.status).toBe("completed");
    const [acct] = await database.db.query.accounts.findMany({
      where: (a, { eq: is }) => is(a.id, accountId),
    });
    expect(acct?.lifecycleStage).toBe("adoption");

    const history = await handleOf(outcome.enrollment.workflowId).fetchHistory();
    const rows = await touchRows(outcome.enrollment.id);
    const perTouch = (history.events?.length ?? 0) / rows.length;
    console.log(
      `onboarding playbook: ${history.events?.length} history events for ${rows.length} touches = ${perTouch.toFixed(1)} per touch`,
    );
    expect(perTouch).toBeLessThan(8);
    await recordHistory("onboarding-tech-touch", outcome.enrollment.workflowId);
  });

  it("runs the adoption playbook: an A/B tip, in-app tips, then a CSM call for a stalled account", async () => {
    const journeyId = await publish({
      ...(await playbook("adoption-feature-breadth")),
      trigger: { type: "manual" },
    });
    const accountId = await account("adopting", {}, ["admin"]);
    const outcome = await enroll(deps, { workspaceId, journeyId, accountId, trigger: "manual" });
    if (!outcome.enrolled) throw new Error(outcome.reason);
    await runToEnd(outcome.enrollment.workflowId);
    const trace = await traceKinds(outcome.enrollment.id);
    expect(trace.find((t) => t.kind === "split")?.detail).toMatchObject({
      next: expect.stringMatching(/^reports-/),
    });
    expect(trace.find((t) => t.stepId === "adoption-call" && t.kind === "escalated")).toBeDefined();
    expect((await enrollmentRow(outcome.enrollment.id))?.exitReason).toBe(
      "Adoption playbook finished below the expansion bar",
    );
    await recordHistory("adoption-feature-breadth", outcome.enrollment.workflowId);
  });

  it("enrolls from every trigger type", async () => {
    const stage = await publish(single({ type: "stage_entered", stage: "onboarding" }));
    const band = await publish(single({ type: "health_band_entered", band: "red" }));
    const eventJourney = await publish(single({ type: "event", event: "trial_started" }));
    const manual = await publish(single({ type: "manual" }));
    const accountId = await account("triggers");

    const [byStage] = await onStageEntered(deps, workspaceId, accountId, "onboarding");
    const [byBand] = await onHealthBandEntered(deps, workspaceId, accountId, "red");
    const ingested = await ingestEvents(
      database.db,
      workspaceId,
      [{ id: "trial-1", account: "triggers", name: "trial_started", occurredAt: new Date().toISOString() }],
      new Date(),
    );
    await routeEventsToRuns(deps, workspaceId, ingested.storedIds);
    const byManual = await enroll(deps, { workspaceId, journeyId: manual, accountId, trigger: "manual" });
    expect([byStage?.enrolled, byBand?.enrolled, byManual.enrolled]).toEqual([true, true, true]);

    const rows = await database.db
      .select()
      .from(enrollments)
      .where(inArray(enrollments.journeyId, [stage, band, eventJourney, manual]));
    expect(rows.map((r) => r.trigger).sort()).toEqual([
      "event:trial_started",
      "health_band_entered:red",
      "manual",
      "stage_entered:onboarding",
    ]);
    for (const r of rows) await handleOf(r.workflowId).result();
    for (const r of rows) expect((await enrollmentRow(r.id))?.status).toBe("completed");
  });

  it("applies re-entry policies: never, after_exit (entry 2, its own workflow id), cooldown", async () => {
    const accountId = await account("reentry");
    const never = await publish(single({ type: "manual" }, { reentry: { policy: "never" } }));
    const again = await publish(single({ type: "manual" }, { reentry: { policy: "after_exit" } }));
    const cooled = await publish(
      single({ type: "manual" }, { reentry: { policy: "cooldown", cooldown: "P30D" } }),
    );

    let finishedAt = 0;
    for (const journeyId of [never, again, cooled]) {
      const first = await enroll(deps, { workspaceId, journeyId, accountId, trigger: "manual" });
      if (!first.enrolled) throw new Error(first.reason);
      await handleOf(first.enrollment.workflowId).result();
      finishedAt = (await enrollmentRow(first.enrollment.id))?.finishedAt?.getTime() ?? 0;
    }
    expect(await enroll(deps, { workspaceId, journeyId: never, accountId, trigger: "manual" })).toMatchObject(
      {
        enrolled: false,
        reason: "re-entry policy is never",
      },
    );
    const second = await enroll(deps, { workspaceId, journeyId: again, accountId, trigger: "manual" });
    expect(second).toMatchObject({ enrolled: true, enrollment: { entry: 2 } });
    if (second.enrolled) expect(second.enrollment.workflowId).toMatch(/:2$/);
    expect(
      await enroll(deps, {
        workspaceId,
        journeyId: cooled,
        accountId,
        trigger: "manual",
        at: new Date(finishedAt + DAY),
      }),
    ).toMatchObject({ enrolled: false });
    expect(
      await enroll(deps, {
        workspaceId,
        journeyId: cooled,
        accountId,
        trigger: "manual",
        at: new Date(finishedAt + 31 * DAY),
      }),
    ).toMatchObject({ enrolled: true });
  });

  it("exits on an exit event while waiting, acts once on a resent event, and holds while paused", async () => {
    const journeyId = await publish({
      key: "exits",
      name: "Exit criteria",
      trigger: { type: "manual" },
      exitWhen: [{ event: "churned" }],
      steps: [
        { id: "week", type: "wait", duration: "P7D" },
        {
          id: "used",
          type: "branch",
          if: { fact: "event.feature_used.count", op: "eq", value: 1 },
          then: "once",
          else: "other",
        },
        { id: "once", type: "email", template: "onboarding-welcome", to: "role:admin", next: "month" },
        { id: "other", type: "email", template: "onboarding-check-in", to: "role:admin" },
        { id: "month", type: "wait", duration: "P30D" },
        { id: "late", type: "email", template: "onboarding-check-in", to: "role:admin" },
      ],
    });
    const accountId = await account("exits");
    const outcome = await enroll(deps, { workspaceId, journeyId, accountId, trigger: "manual" });
    if (!outcome.enrolled) throw new Error(outcome.reason);
    const handle = handleOf(outcome.enrollment.workflowId);
    // The same event delivered twice (a retried routing) counts once.
    await handle.signal(accountEventSignal, { eventId: "dup-1", name: "feature_used" });
    await handle.signal(accountEventSignal, { eventId: "dup-1", name: "feature_used" });
    await env.sleep(8 * DAY);
    expect((await touchRows(outcome.enrollment.id)).map((t) => t.touchKey)).toEqual(["once:1"]);

    await transitionJourney(
      database.db,
      workspaceId,
      (await database.db.query.journeys.findFirst({ where: (j, { eq: is }) => is(j.id, journeyId) }))?.key ??
        "",
      "pause",
      new Date(),
    );
    await env.sleep(31 * DAY);
    expect((await enrollmentRow(outcome.enrollment.id))?.status).toBe("held");
    expect((await touchRows(outcome.enrollment.id)).map((t) => t.touchKey)).toEqual(["once:1"]);

    const ingested = await ingestEvents(
      database.db,
      workspaceId,
      [{ id: "churn-1", account: "exits", name: "churned", occurredAt: new Date().toISOString() }],
      new Date(),
    );
    await routeEventsToRuns(deps, workspaceId, ingested.storedIds);
    const final = await handle.result();
    expect(final).toMatchObject({ status: "exited", exitReason: "exit_event:churned" });
    expect((await touchRows(outcome.enrollment.id)).map((t) => t.touchKey)).toEqual(["once:1"]);
    await signalJourneyRuns(deps, journeyId, "resume");
    const rows = await database.db
      .select()
      .from(enrollments)
      .where(and(eq(enrollments.id, outcome.enrollment.id), eq(enrollments.status, "exited")));
    expect(rows).toHaveLength(1);
  });

  it("a retried transition sends nothing twice and writes its trace once", async () => {
    const journeyId = await publish({
      key: "retry",
      name: "Retry",
      trigger: { type: "manual" },
      steps: [
        { id: "later", type: "wait", duration: "P300D" },
        { id: "hello", type: "email", template: "onboarding-welcome", to: "role:admin" },
      ],
    });
    const accountId = await account("retry");
    const outcome = await enroll(deps, { workspaceId, journeyId, accountId, trigger: "manual" });
    if (!outcome.enrolled) throw new Error(outcome.reason);
    const activities = createActivities({
      db: database.db,
      namespace: env.namespace ?? "default",
      clock: systemClock,
      // The webhook receivers here listen on loopback.
      outbound: { allow: ["127.0.0.0/8", "::1"] },
      renderer: await loadRenderer(),
      log: createLogger("warn"),
      client: env.client,
      taskQueue,
      outboxDir,
      fileTemplates: await loadFileTemplates(),
      publicUrl: "http://localhost:3000",
    });
    const input = {
      workspaceId,
      enrollmentId: outcome.enrollment.id,
      transition: 99,
      at: new Date().toISOString(),
      commands: [
        {
          type: "send" as const,
          channel: "email" as const,
          stepId: "hello",
          visit: 1,
          touchKey: "hello:1",
          template: "onboarding-welcome",
          to: "role:admin",
        },
      ],
      trace: [{ at: new Date().toISOString(), stepId: "hello", kind: "touch" as const, detail: {} }],
      status: "waiting" as const,
      currentStep: "hello",
    };
    // As if the worker died after the send and Temporal ran the activity again, twice at once.
    await activities.applyTransition(input);
    await Promise.all([activities.applyTransition(input), activities.applyTransition(input)]);
    const rows = await touchRows(outcome.enrollment.id);
    expect(rows.map((r) => [r.touchKey, r.status])).toEqual([["hello:1", "sent"]]);
    const trace = (await traceKinds(outcome.enrollment.id)).filter((t) => t.transition === 99);
    expect(trace.map((t) => t.kind)).toEqual(["touch", "sent"]);
    expect(
      (await readdir(join(outboxDir, workspaceId))).filter((f) =>
        f.startsWith(`${outcome.enrollment.id}-hello_1`),
      ).length,
    ).toBe(1);
  });

  it("reminds the CSM before the SLA and re-escalates with a higher priority when it passes", async () => {
    const journeyId = await publish({
      key: "sla",
      name: "SLA",
      trigger: { type: "manual" },
      steps: [{ id: "call", type: "escalate", reason: "Call them", priority: "medium", sla: "P4D" }],
    });
    const accountId = await account("sla");
    await saveSettings(
      database.db,
      workspaceId,
      Settings.parse({ notifications: { managerEmail: "lead@vendor.example" } }),
      new Date(),
    );
    const outcome = await enroll(deps, { workspaceId, journeyId, accountId, trigger: "manual" });
    if (!outcome.enrolled) throw new Error(outcome.reason);
    await handleOf(outcome.enrollment.workflowId).result();
    const [open] = await database.db
      .select()
      .from(escalations)
      .where(eq(escalations.enrollmentId, outcome.enrollment.id));
    expect(open).toMatchObject({ priority: "medium", status: "open", breachedAt: null });
    const sla = env.client.workflow.getHandle(`escalation-sla:${open?.id}`);
    expect(await sla.result()).toBe("breached");
    // Recorded with the checks as local activities; escalation-sla.json keeps a run from before.
    await recordHistory("escalation-sla-local", sla.workflowId);
    const [breached] = await database.db
      .select()
      .from(escalations)
      .where(eq(escalations.id, open?.id ?? ""));
    expect(breached?.priority).toBe("high");
    // The reminder comes at 75% of the 4-day SLA: one day before the deadline.
    expect(
      Math.round(((breached?.dueAt.getTime() ?? 0) - (breached?.remindedAt?.getTime() ?? 0)) / DAY),
    ).toBe(1);
    expect((breached?.breachedAt?.getTime() ?? 0) - (breached?.dueAt.getTime() ?? 0)).toBeLessThan(60_000);
    const notices = (await touchRows(outcome.enrollment.id)).map((t) => [t.touchKey, t.recipient]).sort();
    // The breach also goes to the workspace's manager.
    expect(notices).toEqual([
      ["escalation:call:1", "hanako@vendor.example"],
      ["escalation:call:1:breach", "hanako@vendor.example"],
      ["escalation:call:1:breach:manager", "lead@vendor.example"],
      ["escalation:call:1:reminder", "hanako@vendor.example"],
    ]);
  });
});
