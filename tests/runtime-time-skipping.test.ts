import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { temporal } from "@temporalio/proto";
import { and, asc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enroll } from "../apps/core/enrollments/enroll";
import { exitEnrollment, signalJourneyRuns, startEnrollmentRun } from "../apps/core/enrollments/runtime";
import { onHealthBandEntered, onStageEntered, scanRenewalWindows } from "../apps/core/enrollments/triggers";
import { resolveEscalation } from "../apps/core/escalations/actions";
import { ingestEvents } from "../apps/core/events/ingest";
import { routeEventsToRuns } from "../apps/core/events/route";
import { transitionJourney } from "../apps/core/journeys/journeys";
import { Settings, saveSettings } from "../apps/core/workspace/settings";
import {
  accounts,
  enrollmentListeners,
  enrollments,
  enrollmentTrace,
  escalations,
  journeyVersions,
} from "../db/schema";
import {
  accountEventSignal,
  escalationResolvedSignal,
  type JourneyRunWorkflow,
  journeyWorkflowId,
  stateQuery,
} from "../workflows/contracts";
import { eventsOfInterest } from "../workflows/journey/relevant-events";
import { JourneyDefinition } from "../workflows/journey/schema";
import { eventually } from "./harness";
import { DAY, startTimeSkippingStack, type TimeSkippingStack } from "./runtime-harness";

// The journey runtime end to end on Temporal's time-skipping server: renewal windows, holds, exits and
// exactly-once effects, months of journey in seconds. Complements journey-time-skipping.test.ts.
let s: TimeSkippingStack;

beforeAll(async () => {
  s = await startTimeSkippingStack();
});

afterAll(async () => {
  await s?.close();
});

const dateOnly = (d: Date) => d.toISOString().slice(0, 10);
const daysBefore = (date: string, at: Date) =>
  Math.round((Date.parse(`${date}T00:00:00Z`) - at.getTime()) / DAY);

/** A two-step journey: a wait, then one email. */
const waitThenEmail = (key: string, wait: string, extra: Record<string, unknown> = {}) => ({
  key,
  name: key,
  trigger: { type: "manual" },
  steps: [
    { id: "pause", type: "wait", duration: wait },
    { id: "hello", type: "email", template: "onboarding-welcome", to: "role:admin" },
  ],
  ...extra,
});

async function enrolled(journeyId: string, accountId: string) {
  const outcome = await enroll(s.deps, {
    workspaceId: s.workspaceId,
    journeyId,
    accountId,
    trigger: "manual",
  });
  if (!outcome.enrolled) throw new Error(outcome.reason);
  return outcome.enrollment;
}

async function storeEvents(
  items: { id: string; account: string; name: string; properties?: Record<string, unknown> }[],
) {
  const at = (await s.now()).toISOString();
  const ingested = await ingestEvents(
    s.database.db,
    s.workspaceId,
    items.map((i) => ({ ...i, occurredAt: at })),
    new Date(at),
  );
  expect(ingested.accepted).toBe(items.length);
  return ingested.storedIds;
}

/**
 * Writes an enrollment's row and listener index as enroll() does, without starting its workflow: the
 * state between enroll()'s transaction and its workflow.start.
 */
async function enrollmentRows(
  journey: { id: string; key: string },
  accountId: string,
  version?: { id: string; version: number; listens: string[] },
) {
  const db = s.database.db;
  const [published] = await db
    .select()
    .from(journeyVersions)
    .where(eq(journeyVersions.journeyId, journey.id));
  const [account] = await db.select().from(accounts).where(eq(accounts.id, accountId));
  if (!published || !account) throw new Error("no version or account");
  const [row] = await db
    .insert(enrollments)
    .values({
      workspaceId: s.workspaceId,
      journeyId: journey.id,
      journeyVersionId: version?.id ?? published.id,
      version: version?.version ?? published.version,
      accountId,
      entry: 1,
      workflowId: journeyWorkflowId(s.workspaceId, journey.key, account.externalId, 1),
      trigger: "manual",
      enteredAt: await s.now(),
    })
    .returning();
  if (!row) throw new Error("no enrollment row");
  const names = version?.listens ?? [...eventsOfInterest(JourneyDefinition.parse(published.definition))];
  await db
    .insert(enrollmentListeners)
    .values(names.map((eventName) => ({ enrollmentId: row.id, accountId, eventName })));
  return row;
}

const listeners = (enrollmentId: string) =>
  s.database.db.select().from(enrollmentListeners).where(eq(enrollmentListeners.enrollmentId, enrollmentId));

/** The event ids of the account events signalled to a run, from its history. */
async function signalledEvents(workflowId: string): Promise<string[]> {
  const history = await s.handle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const signal = e.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName !== "accountEvent") return [];
    const data = signal.input?.payloads?.[0]?.data;
    return data ? [(JSON.parse(Buffer.from(data).toString("utf8")) as { eventId: string }).eventId] : [];
  });
}

describe("journey runtime on the time-skipping server", () => {
  it("enrolls a renewal once its window opens and holds at the at-risk escalation until it is resolved", async () => {
    const journey = await s.publish(await s.playbook("renewal-prep"));
    const start = await s.now();
    const renewal = dateOnly(new Date(start.getTime() + 125 * DAY));
    const accountId = await s.account("renewing", { renewalDate: renewal }, ["decision_maker", "champion"]);

    // 125 days out the 120-day window is still closed; five days later the daily scan enrolls once.
    expect(await scanRenewalWindows(s.deps, s.workspaceId, start.toISOString())).toBe(0);
    await s.env.sleep(5 * DAY);
    const opened = (await s.now()).toISOString();
    expect(await scanRenewalWindows(s.deps, s.workspaceId, opened)).toBe(1);
    expect(await scanRenewalWindows(s.deps, s.workspaceId, opened)).toBe(0);
    const [row] = await s.database.db
      .select()
      .from(enrollments)
      .where(and(eq(enrollments.journeyId, journey.id), eq(enrollments.accountId, accountId)));
    if (!row) throw new Error("not enrolled");
    expect(row).toMatchObject({ trigger: "renewal_window", entry: 1, status: "active" });

    // Querying does not move the clock: let it run a virtual day at a time until the run holds.
    const handle = s.handle(row.workflowId);
    const holding = await s.untilVirtual(async () => {
      const state = await handle.query(stateQuery);
      return state?.wait?.kind === "escalation" ? state.wait : undefined;
    }, "escalation wait");
    expect(holding).toEqual({ kind: "escalation", stepId: "at-risk", escalationKey: "at-risk:1" });
    const [escalation] = await s.database.db
      .select()
      .from(escalations)
      .where(eq(escalations.enrollmentId, row.id));
    expect(escalation).toMatchObject({
      stepId: "at-risk",
      assignee: "hanako@vendor.example",
      holdsJourney: true,
      status: "open",
      priority: "high",
    });

    // A month on, the run still holds: nothing of the -60/-30 day steps went out.
    await s.env.sleep(30 * DAY);
    expect(await s.enrollment(row.id)).toMatchObject({ status: "active", currentStep: "at-risk" });
    expect((await s.touches(row.id)).map((t) => t.touchKey)).not.toContain("final-reminder:1");

    await handle.signal(escalationResolvedSignal, { escalationKey: "at-risk:1", resume: true });
    expect(await handle.result()).toMatchObject({ status: "completed", exitReason: "end_of_journey" });
    expect(await s.enrollment(row.id)).toMatchObject({ status: "completed", exitReason: "end_of_journey" });

    const trace = await s.trace(row.id);
    expect(trace.map((t) => `${t.stepId ?? "-"} ${t.kind}`)).toEqual([
      "- entered",
      "kickoff-decision-maker touch",
      "kickoff-decision-maker sent",
      "kickoff-champion touch",
      "kickoff-champion sent",
      "week1 wait",
      "week1 wait_over",
      "usage-summary-decision-maker touch",
      "usage-summary-decision-maker sent",
      "usage-summary-champion touch",
      "usage-summary-champion sent",
      "day90 wait",
      "day90 wait_over",
      "risk-check branch",
      "at-risk escalated",
      "at-risk csm_notified",
      "at-risk escalation_resolved",
      "day30 wait",
      "day30 wait_over",
      "final-reminder touch",
      "final-reminder sent",
      "- completed",
    ]);
    const risk = trace.find((t) => t.kind === "branch");
    // Both facts the condition read are in the trace, whatever they were.
    expect(risk?.detail).toMatchObject({ result: true, next: "at-risk", facts: { "deployment.ratio": 0 } });
    expect(Object.keys(risk?.detail.facts ?? {})).toEqual(["health.band", "deployment.ratio"]);
    expect(daysBefore(renewal, risk?.at ?? new Date())).toBe(90);
    // The timer that ended the 90-days-before wait is in the trace when it fired.
    const over = trace.find((t) => t.stepId === "day90" && t.kind === "wait_over");
    expect(daysBefore(renewal, over?.at ?? new Date())).toBe(90);
    expect(over?.detail).toEqual({ until: expect.any(String) });
    const final = trace.find((t) => t.stepId === "final-reminder" && t.kind === "sent");
    expect(daysBefore(renewal, final?.at ?? new Date())).toBe(30);
    expect(final?.detail).toMatchObject({ recipients: ["decision_maker@renewing.example"] });

    const sent = await s.touches(row.id);
    expect(sent.filter((t) => t.channel === "email").map((t) => [t.touchKey, t.status])).toEqual([
      ["final-reminder:1", "sent"],
      ["kickoff-champion:1", "sent"],
      ["kickoff-decision-maker:1", "sent"],
      ["usage-summary-champion:1", "sent"],
      ["usage-summary-decision-maker:1", "sent"],
    ]);
    expect(sent.find((t) => t.touchKey === "escalation:at-risk:1")).toMatchObject({
      channel: "notification",
      recipient: "hanako@vendor.example",
      status: "sent",
    });
  });

  it("starts one run however often a stage, health band or event trigger repeats", async () => {
    // after_exit, and a wait so every run is still active: only the runtime's own guards stop duplicates.
    const single = (key: string, trigger: Record<string, unknown>) =>
      waitThenEmail(key, "P1D", { trigger, reentry: { policy: "after_exit" } });
    const stage = await s.publish(single("on-stage", { type: "stage_entered", stage: "onboarding" }));
    const band = await s.publish(single("on-band", { type: "health_band_entered", band: "red" }));
    const event = await s.publish(single("on-event", { type: "event", event: "trial_started" }));
    const accountId = await s.account("triggers", { lifecycleStage: "onboarding" });

    await Promise.all([
      onStageEntered(s.deps, s.workspaceId, accountId, "onboarding"),
      onStageEntered(s.deps, s.workspaceId, accountId, "onboarding"),
      onHealthBandEntered(s.deps, s.workspaceId, accountId, "red"),
      onHealthBandEntered(s.deps, s.workspaceId, accountId, "red"),
    ]);
    const stored = await storeEvents([{ id: "trial-1", account: "triggers", name: "trial_started" }]);
    await Promise.all([
      routeEventsToRuns(s.deps, s.workspaceId, stored),
      routeEventsToRuns(s.deps, s.workspaceId, stored),
    ]);

    const rows = await s.database.db
      .select()
      .from(enrollments)
      .where(inArray(enrollments.journeyId, [stage.id, band.id, event.id]));
    expect(rows.map((r) => [r.trigger, r.entry]).sort()).toEqual([
      ["event:trial_started", 1],
      ["health_band_entered:red", 1],
      ["stage_entered:onboarding", 1],
    ]);
    for (const r of rows) {
      expect(await s.handle(r.workflowId).result()).toMatchObject({ status: "completed" });
      expect((await s.touches(r.id)).map((t) => [t.touchKey, t.status])).toEqual([["hello:1", "sent"]]);
    }
  });

  it("applies re-entry policies: never, after_exit (not while active; entry 2 after), cooldown", async () => {
    const accountId = await s.account("reentry");
    const never = await s.publish(waitThenEmail("never", "P1D", { reentry: { policy: "never" } }));
    const afterExit = await s.publish(
      waitThenEmail("after-exit", "P30D", { reentry: { policy: "after_exit" } }),
    );
    const cooldown = await s.publish(
      waitThenEmail("cooldown", "P1D", { reentry: { policy: "cooldown", cooldown: "P30D" } }),
    );
    const again = (journeyId: string, at?: Date) =>
      enroll(s.deps, {
        workspaceId: s.workspaceId,
        journeyId,
        accountId,
        trigger: "manual",
        ...(at ? { at } : {}),
      });

    await s.handle((await enrolled(never.id, accountId)).workflowId).result();
    expect(await again(never.id)).toMatchObject({ enrolled: false, code: "refused" });

    const first = await enrolled(afterExit.id, accountId);
    expect(await again(afterExit.id)).toMatchObject({
      enrolled: false,
      code: "duplicate",
      reason: "already enrolled",
    });
    await exitEnrollment(s.deps, first, "csm_requested");
    expect(await s.handle(first.workflowId).result()).toMatchObject({
      status: "exited",
      exitReason: "csm_requested",
    });
    const second = await again(afterExit.id);
    if (!second.enrolled) throw new Error(second.reason);
    expect(second.enrollment).toMatchObject({ entry: 2, workflowId: `${first.workflowId}:2` });
    // The run answers its state once its first workflow task has run (null before: a race under load).
    const secondHandle = s.handle(second.enrollment.workflowId);
    expect(
      await eventually(async () => (await secondHandle.query(stateQuery)) ?? undefined, "entry 2's state"),
    ).toMatchObject({ status: "waiting" });
    expect(await s.enrollment(first.id)).toMatchObject({ status: "exited", exitReason: "csm_requested" });
    await s.recordHistory("exit-signal", first.workflowId);
    await exitEnrollment(s.deps, second.enrollment, "test_done");
    await s.handle(second.enrollment.workflowId).result();

    const cooling = await enrolled(cooldown.id, accountId);
    await s.handle(cooling.workflowId).result();
    const finished = (await s.enrollment(cooling.id))?.finishedAt?.getTime() ?? Number.NaN;
    expect(await again(cooldown.id, new Date(finished + 29 * DAY))).toMatchObject({
      enrolled: false,
      reason: expect.stringMatching(/^cooling down until /),
    });
    expect(await again(cooldown.id, new Date(finished + 31 * DAY))).toMatchObject({
      enrolled: true,
      enrollment: { entry: 2 },
    });
  });

  it("holds a paused journey's touch, sends it once after resume, and exits every run on archive", async () => {
    const paused = await s.publish(waitThenEmail("paused", "P2D"));
    const accountId = await s.account("paused");
    const run = await enrolled(paused.id, accountId);
    expect((await transitionJourney(s.database.db, s.workspaceId, paused.key, "pause", new Date())).ok).toBe(
      true,
    );

    await s.env.sleep(3 * DAY);
    expect(await s.enrollment(run.id)).toMatchObject({ status: "held" });
    expect(await s.touches(run.id)).toEqual([]);
    expect((await s.trace(run.id)).find((t) => t.kind === "held")).toMatchObject({
      stepId: "hello",
      detail: { because: "journey_paused", touchKey: "hello:1" },
    });

    expect((await transitionJourney(s.database.db, s.workspaceId, paused.key, "resume", new Date())).ok).toBe(
      true,
    );
    // A resume fanned out twice (a retried API call) still sends once.
    expect(await signalJourneyRuns(s.deps, paused.id, "resume")).toBe(1);
    await signalJourneyRuns(s.deps, paused.id, "resume");
    expect(await s.handle(run.workflowId).result()).toMatchObject({ status: "completed" });
    expect((await s.touches(run.id)).map((t) => [t.touchKey, t.status])).toEqual([["hello:1", "sent"]]);
    const kinds = (await s.trace(run.id)).map((t) => t.kind);
    expect(kinds.filter((k) => k === "held" || k === "sent")).toEqual(["held", "sent"]);
    expect(await s.enrollment(run.id)).toMatchObject({ status: "completed" });
    await s.recordHistory("held-resume", run.workflowId);

    const archived = await s.publish(waitThenEmail("archived", "P10D", { exitWhen: [{ event: "churned" }] }));
    const waiting = await enrolled(archived.id, accountId);
    expect(
      (await transitionJourney(s.database.db, s.workspaceId, archived.key, "archive", new Date())).ok,
    ).toBe(true);
    expect(await signalJourneyRuns(s.deps, archived.id, "archive")).toBe(1);
    expect(await s.handle(waiting.workflowId).result()).toMatchObject({
      status: "exited",
      exitReason: "journey_archived",
    });
    expect(await s.enrollment(waiting.id)).toMatchObject({
      status: "exited",
      exitReason: "journey_archived",
    });
    expect(await s.touches(waiting.id)).toEqual([]);
    const listening = await s.database.db
      .select()
      .from(enrollmentListeners)
      .where(eq(enrollmentListeners.enrollmentId, waiting.id));
    expect(listening).toEqual([]);
    expect(
      await enroll(s.deps, {
        workspaceId: s.workspaceId,
        journeyId: archived.id,
        accountId,
        trigger: "manual",
      }),
    ).toMatchObject({ enrolled: false, code: "not_live" });
  });

  it("ends a waiting run on an exit event or an exiting goal, and records a goal that does not exit", async () => {
    const exits = await s.publish(
      waitThenEmail("exits", "P10D", { exitWhen: [{ event: "churned" }], goal: { event: "activated" } }),
    );
    const tracked = await s.publish(
      waitThenEmail("tracked", "P2D", { goal: { event: "activated", exit: false } }),
    );
    const churning = await s.account("churning");
    const activating = await s.account("activating");

    const churn = await enrolled(exits.id, churning);
    await s.env.sleep(DAY);
    await s.handle(churn.workflowId).signal(accountEventSignal, { eventId: "churn-1", name: "churned" });
    expect(await s.handle(churn.workflowId).result()).toMatchObject({
      status: "exited",
      exitReason: "exit_event:churned",
    });
    expect(await s.enrollment(churn.id)).toMatchObject({
      status: "exited",
      exitReason: "exit_event:churned",
    });
    expect((await s.trace(churn.id)).at(-1)).toMatchObject({
      stepId: "pause",
      kind: "exited",
      detail: { because: "exit_event", event: "churned" },
    });
    expect(await s.touches(churn.id)).toEqual([]);

    const goal = await enrolled(exits.id, activating);
    const goalTracked = await enrolled(tracked.id, activating);
    const stored = await storeEvents([{ id: "activated-1", account: "activating", name: "activated" }]);
    // Routed by the listener index: both runs listen for their goal.
    expect(await routeEventsToRuns(s.deps, s.workspaceId, stored)).toBe(2);
    expect(await s.handle(goal.workflowId).result()).toMatchObject({
      status: "completed",
      exitReason: "goal_reached",
    });
    const reached = await s.enrollment(goal.id);
    expect(reached).toMatchObject({ status: "completed", exitReason: "goal_reached" });
    expect(reached?.goalReachedAt).toBeInstanceOf(Date);
    expect((await s.trace(goal.id)).map((t) => t.kind).slice(-2)).toEqual(["goal", "completed"]);
    expect(await s.touches(goal.id)).toEqual([]);

    expect(await s.handle(goalTracked.workflowId).result()).toMatchObject({ status: "completed" });
    const kept = await s.enrollment(goalTracked.id);
    expect(kept).toMatchObject({ status: "completed", exitReason: "end_of_journey" });
    expect(kept?.goalReachedAt).toBeInstanceOf(Date);
    expect((await s.touches(goalTracked.id)).map((t) => t.touchKey)).toEqual(["hello:1"]);
  });

  it("acts once on an event routed twice and signalled again: the second wait for it times out", async () => {
    const journey = await s.publish({
      key: "logins",
      name: "Logins",
      trigger: { type: "manual" },
      steps: [
        { id: "first-login", type: "wait_for_event", event: "login", timeout: "P7D", onTimeout: "nudge" },
        { id: "welcome-back", type: "email", template: "onboarding-welcome", to: "role:admin" },
        { id: "second-login", type: "wait_for_event", event: "login", timeout: "P7D", onTimeout: "quiet" },
        { id: "again", type: "email", template: "onboarding-check-in", to: "role:admin", next: null },
        { id: "nudge", type: "email", template: "onboarding-first-login", to: "role:admin", next: null },
        { id: "quiet", type: "exit", reason: "one login only" },
      ],
    });
    const accountId = await s.account("logins");
    const run = await enrolled(journey.id, accountId);
    const stored = await storeEvents([{ id: "login-1", account: "logins", name: "login" }]);

    // A retried routing activity delivers the same event again, and so does a redelivered signal.
    expect(await routeEventsToRuns(s.deps, s.workspaceId, stored)).toBe(1);
    expect(await routeEventsToRuns(s.deps, s.workspaceId, stored)).toBe(1);
    await s.handle(run.workflowId).signal(accountEventSignal, { eventId: "login-1", name: "login" });
    expect(await s.handle(run.workflowId).result()).toMatchObject({
      status: "exited",
      exitReason: "one login only",
    });

    const trace = await s.trace(run.id);
    expect(trace.filter((t) => t.kind === "event_received").map((t) => t.stepId)).toEqual(["first-login"]);
    expect(trace.filter((t) => t.kind === "timed_out").map((t) => t.stepId)).toEqual(["second-login"]);
    expect((await s.touches(run.id)).map((t) => [t.touchKey, t.status])).toEqual([
      ["welcome-back:1", "sent"],
    ]);
  });

  describe("a journey with every step type", () => {
    let server: Server;
    const received: { status: number; body: Record<string, unknown> }[] = [];

    beforeAll(async () => {
      // The CRM answers 503 once, then 200: the transition's local activity retries the call.
      server = createServer((req, res) => {
        let raw = "";
        req.on("data", (chunk) => {
          raw += chunk;
        });
        req.on("end", () => {
          const status = received.length === 0 ? 503 : 200;
          received.push({ status, body: JSON.parse(raw) as Record<string, unknown> });
          res.writeHead(status, { "content-type": "application/json" }).end("{}");
        });
      });
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
    });

    afterAll(async () => {
      server?.close();
    });

    it("branches, splits, escalates on a timeout, hears the event, calls the webhook and sets the stage", async () => {
      const port = (server.address() as AddressInfo).port;
      const journey = await s.publish({
        key: "step-types",
        name: "Every step type",
        trigger: { type: "manual" },
        steps: [
          {
            id: "plan",
            type: "branch",
            if: { fact: "attributes.plan", op: "eq", value: "pro" },
            then: "ab",
            else: "bye",
          },
          {
            id: "ab",
            type: "split",
            branches: [
              { name: "email", percent: 50, next: "tip-email" },
              { name: "in-app", percent: 50, next: "tip-in-app" },
            ],
          },
          {
            id: "tip-email",
            type: "email",
            template: "onboarding-welcome",
            to: "role:admin",
            next: "connect",
          },
          { id: "tip-in-app", type: "in_app", template: "invite-your-team", to: "role:admin" },
          {
            id: "connect",
            type: "wait_for_event",
            event: "integration_connected",
            timeout: "P3D",
            onTimeout: "nudge",
            next: "sync",
          },
          {
            id: "nudge",
            type: "escalate",
            reason: "No integration after 3 days",
            priority: "low",
            sla: "P2D",
          },
          {
            id: "reconnect",
            type: "wait_for_event",
            event: "integration_connected",
            timeout: "P7D",
            onTimeout: "bye",
          },
          {
            id: "sync",
            type: "webhook",
            url: `http://127.0.0.1:${port}/hooks/crm`,
            payload: { kind: "integration_connected" },
          },
          { id: "promote", type: "set_stage", stage: "expansion", next: null },
          { id: "bye", type: "exit", reason: "not a connected pro account" },
        ],
      });
      const followUp = await s.publish({
        key: "expansion-follow-up",
        name: "Expansion follow-up",
        trigger: { type: "stage_entered", stage: "expansion" },
        steps: [{ id: "congrats", type: "email", template: "onboarding-check-in", to: "role:admin" }],
      });
      const accountId = await s.account("every-step", { attributes: { plan: "pro" } });
      const run = await enrolled(journey.id, accountId);
      const handle = s.handle(run.workflowId);

      // The first wait times out (escalation without a hold), the second hears the event.
      await s.untilVirtual(async () => {
        const state = await handle.query(stateQuery);
        return state?.wait?.stepId === "reconnect" ? state : undefined;
      }, "the second wait for the integration");
      const stored = await storeEvents([
        { id: "int-1", account: "every-step", name: "integration_connected" },
      ]);
      expect(await routeEventsToRuns(s.deps, s.workspaceId, stored)).toBe(1);
      expect(await handle.result()).toMatchObject({ status: "completed", exitReason: "end_of_journey" });

      const trace = await s.trace(run.id);
      const split = trace.find((t) => t.kind === "split");
      const tip = split?.detail.next === "tip-email" ? "tip-email" : "tip-in-app";
      expect(trace.map((t) => `${t.stepId ?? "-"} ${t.kind}`)).toEqual([
        "- entered",
        "plan branch",
        "ab split",
        `${tip} touch`,
        // Email or in-app, the tip goes out (in-app to the contact's message list).
        `${tip} sent`,
        "connect waiting_for_event",
        "connect timed_out",
        "nudge escalated",
        "nudge csm_notified",
        "reconnect waiting_for_event",
        "reconnect event_received",
        "sync webhook",
        "sync webhook_delivered",
        "promote stage_set",
        "- completed",
      ]);
      expect(trace.find((t) => t.kind === "branch")?.detail).toEqual({
        result: true,
        next: "ab",
        facts: { "attributes.plan": "pro" },
      });
      expect(split?.detail).toMatchObject({ bucket: expect.any(Number), variant: tip.slice(4) });
      expect(trace.find((t) => t.kind === "webhook_delivered")?.detail).toEqual({ ok: true, status: 200 });

      expect(received.map((r) => r.status)).toEqual([503, 200]);
      expect(received[1]?.body).toMatchObject({
        kind: "integration_connected",
        enrollmentId: run.id,
        stepId: "sync",
      });
      const [escalation] = await s.database.db
        .select()
        .from(escalations)
        .where(eq(escalations.enrollmentId, run.id));
      expect(escalation).toMatchObject({
        stepId: "nudge",
        holdsJourney: false,
        assignee: "hanako@vendor.example",
      });
      expect((await s.touches(run.id)).map((t) => [t.touchKey, t.status])).toEqual(
        expect.arrayContaining([["escalation:nudge:1", "sent"]]),
      );

      // set_stage entered expansion, which starts the stage's journey for the account.
      const [account] = await s.database.db.select().from(accounts).where(eq(accounts.id, accountId));
      expect(account?.lifecycleStage).toBe("expansion");
      const [next] = await s.database.db
        .select()
        .from(enrollments)
        .where(and(eq(enrollments.journeyId, followUp.id), eq(enrollments.accountId, accountId)));
      expect(next?.trigger).toBe("stage_entered:expansion");
      await s.handle(next?.workflowId ?? "").result();
      await s.recordHistory("step-types", run.workflowId);
    });
  });

  it("defers a touch in the contact's quiet hours to the window's end, then sends it once", async () => {
    const start = await s.now();
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    // Quiet from an hour ago until three hours from now, in the contacts' (default UTC) time.
    const end = new Date(start.getTime() + 3 * 3_600_000);
    await saveSettings(
      s.database.db,
      s.workspaceId,
      Settings.parse({
        delivery: { quietHours: { start: hhmm(new Date(start.getTime() - 3_600_000)), end: hhmm(end) } },
      }),
      new Date(),
    );
    try {
      const journey = await s.publish({
        name: "Quiet",
        trigger: { type: "manual" },
        steps: [{ id: "hello", type: "email", template: "onboarding-welcome", to: "role:admin" }],
      });
      const enrollment = await enrolled(journey.id, await s.account("night-owl"));
      await s.handle(enrollment.workflowId).result();
      const trace = await s.trace(enrollment.id);
      expect(trace.map((t) => `${t.stepId ?? "-"} ${t.kind}`)).toEqual([
        "- entered",
        "hello touch",
        "hello deferred",
        "hello sent",
        "- completed",
      ]);
      const deferred = trace.find((t) => t.kind === "deferred");
      const release = `${end.toISOString().slice(0, 16)}:00.000Z`;
      expect(deferred?.detail).toMatchObject({
        until: release,
        decisions: [
          { to: "admin@night-owl.example", decision: "quiet_hours", until: release, timezone: "UTC" },
        ],
      });
      const sent = trace.find((t) => t.kind === "sent");
      expect(sent?.at.getTime()).toBeGreaterThanOrEqual(Date.parse(release));
      expect((await s.touches(enrollment.id)).map((t) => [t.touchKey, t.status])).toEqual([
        ["hello:1", "sent"],
      ]);
    } finally {
      await saveSettings(s.database.db, s.workspaceId, Settings.parse({}), new Date());
    }
  });

  it("keeps the onboarding playbook at a handful of history events per touch", async () => {
    const journey = await s.publish(await s.playbook("onboarding-tech-touch", { type: "manual" }));
    const accountId = await s.account("onboarding", { lifecycleStage: "onboarding" });
    const run = await enrolled(journey.id, accountId);

    // Resolved from the CSM inbox, watched in the database: queries would add workflow tasks to the history.
    const call = await s.untilVirtual(async () => {
      const [row] = await s.database.db
        .select()
        .from(escalations)
        .where(and(eq(escalations.enrollmentId, run.id), eq(escalations.holdsJourney, true)));
      return row;
    }, "the day-7 call");
    expect(call.stepId).toBe("no-login-call");
    expect(
      (
        await resolveEscalation(
          s.deps,
          s.workspaceId,
          call.id,
          "resume",
          "called them",
          undefined,
          new Date(),
        )
      ).ok,
    ).toBe(true);
    expect(await s.handle(run.workflowId).result()).toMatchObject({ status: "completed" });

    const history = await s.handle(run.workflowId).fetchHistory();
    const events = history.events ?? [];
    const byType: Record<string, number> = {};
    for (const e of events) {
      const type = String(temporal.api.enums.v1.EventType[e.eventType ?? 0]).replace(/^EVENT_TYPE_/, "");
      byType[type] = (byType[type] ?? 0) + 1;
    }
    // The run's own touches, as its trace records them: sends (sent or not) and CSM notifications.
    // SLA reminders come from the escalation's own workflow and are not in this history.
    const trace = await s.trace(run.id);
    const customer = trace.filter((t) => t.kind === "sent" || t.kind === "not_sent").length;
    const touched = customer + trace.filter((t) => t.kind === "csm_notified").length;
    const perTouch = events.length / touched;
    console.log(
      `onboarding playbook: ${events.length} history events for ${touched} touches (${customer} to the ` +
        `customer, ${touched - customer} to the CSM) = ${perTouch.toFixed(1)} per touch, ` +
        `${(events.length / customer).toFixed(1)} per customer touch; ${JSON.stringify(byType)}`,
    );
    expect(touched).toBe(10);
    // At most 6 with every transition a local activity; touches that wait on a mail server or a webhook are
    // regular activities since decision 0043 (three events and a workflow task more each): 8.2.
    expect(perTouch).toBeLessThanOrEqual(8.5);
  });

  it("starts a run whose workflow is not started yet with the event routed to it: the event is not lost", async () => {
    const journey = await s.publish({
      key: "gap",
      name: "Gap",
      trigger: { type: "manual" },
      steps: [
        { id: "login", type: "wait_for_event", event: "login", timeout: "P7D", onTimeout: "nudge" },
        { id: "welcome-back", type: "email", template: "onboarding-welcome", to: "role:admin", next: null },
        { id: "nudge", type: "email", template: "onboarding-first-login", to: "role:admin" },
      ],
    });
    // The enrollment's rows are written, its workflow.start has not happened yet, the event comes in.
    const row = await enrollmentRows(journey, await s.account("gap"));
    const stored = await storeEvents([{ id: "gap-login", account: "gap", name: "login" }]);
    expect(await routeEventsToRuns(s.deps, s.workspaceId, stored)).toBe(1);
    // enroll()'s own start then finds the run the event started.
    await startEnrollmentRun(s.deps, row);
    expect(await s.handle(row.workflowId).result()).toMatchObject({ status: "completed" });
    expect((await s.trace(row.id)).map((t) => `${t.stepId ?? "-"} ${t.kind}`)).toContain(
      "login event_received",
    );
    expect((await s.touches(row.id)).map((t) => [t.touchKey, t.status])).toEqual([
      ["welcome-back:1", "sent"],
    ]);
    expect(await signalledEvents(row.workflowId)).toEqual(["gap-login"]);
    // Closed, the run is never started again by a retried start.
    const { runId } = await s.handle(row.workflowId).describe();
    await startEnrollmentRun(s.deps, row);
    expect((await s.handle(row.workflowId).describe()).runId).toBe(runId);
  });

  it("signals only the runs that listen for an event, and a message's outcome only to the enrollment that sent it", async () => {
    const listens = await s.publish({
      key: "listens",
      name: "Listens for login",
      trigger: { type: "manual" },
      steps: [
        { id: "login", type: "wait_for_event", event: "login", timeout: "P10D", onTimeout: "bye" },
        { id: "bye", type: "exit" },
      ],
    });
    const deaf = await s.publish(waitThenEmail("deaf", "P10D"));
    const accountId = await s.account("routing");
    const a = await enrolled(listens.id, accountId);
    const b = await enrolled(deaf.id, accountId);

    // Both runs listen for message outcomes; each hears only its own messages' (and unattributed ones).
    const clickOnB = await storeEvents([
      {
        id: "click-b",
        account: "routing",
        name: "message_clicked",
        properties: { enrollmentId: b.id, stepId: "login" },
      },
    ]);
    expect(await routeEventsToRuns(s.deps, s.workspaceId, clickOnB)).toBe(1);
    const unattributed = await storeEvents([{ id: "open-any", account: "routing", name: "message_opened" }]);
    expect(await routeEventsToRuns(s.deps, s.workspaceId, unattributed)).toBe(2);
    // Only the journey waiting for it listens for login.
    const login = await storeEvents([{ id: "login-a", account: "routing", name: "login" }]);
    expect(await routeEventsToRuns(s.deps, s.workspaceId, login)).toBe(1);

    expect(await s.handle(b.workflowId).query(stateQuery)).toMatchObject({
      status: "waiting",
      outcomes: { login: { opened: true, clicked: true } },
    });
    expect(await s.handle(a.workflowId).result()).toMatchObject({ status: "exited" });
    expect((await s.trace(a.id)).map((t) => `${t.stepId ?? "-"} ${t.kind}`)).toContain(
      "login event_received",
    );
    expect(await signalledEvents(a.workflowId)).toEqual(["open-any", "login-a"]);
    expect(await signalledEvents(b.workflowId)).toEqual(["click-b", "open-any"]);
    await exitEnrollment(s.deps, b, "test_done");
    await s.handle(b.workflowId).result();
  });

  it("marks an enrollment failed when its run fails, and closes those whose workflow is gone", async () => {
    const db = s.database.db;
    const gone = await s.publish(waitThenEmail("gone", "P10D", { exitWhen: [{ event: "churned" }] }));

    // A pinned version that no longer parses: loading the run fails for good.
    const [broken] = await db
      .insert(journeyVersions)
      .values({
        workspaceId: s.workspaceId,
        journeyId: gone.id,
        version: 99,
        definition: { steps: "not a list" },
        checksum: "broken",
      })
      .returning();
    if (!broken) throw new Error("no version");
    const failing = await enrollmentRows(gone, await s.account("broken"), {
      id: broken.id,
      version: 99,
      listens: ["churned"],
    });
    await startEnrollmentRun(s.deps, failing);
    await expect(s.handle(failing.workflowId).result()).rejects.toThrow();
    expect(await s.enrollment(failing.id)).toMatchObject({
      status: "failed",
      exitReason: expect.stringMatching(/^run_failed: .*does not parse/),
      finishedAt: expect.any(Date),
    });
    expect(await listeners(failing.id)).toEqual([]);
    await s.recordHistory("run-failed", failing.workflowId);

    // Terminated runs: a routed event, an exit request and the journey's archive each close the row.
    const terminated = [];
    for (const name of ["terminated-1", "terminated-2", "terminated-3"]) {
      const run = await enrolled(gone.id, await s.account(name));
      // Waiting (no task in flight) when terminated, as an operator would find it.
      await s.untilVirtual(
        async () => ((await s.enrollment(run.id))?.currentStep === "pause" ? true : undefined),
        "the run's wait",
        50,
        1000,
      );
      await s.handle(run.workflowId).terminate("operator");
      expect(await listeners(run.id)).toHaveLength(3);
      terminated.push(run);
    }
    const [routed, exited, archived] = terminated;
    if (!routed || !exited || !archived) throw new Error("no runs");
    const churn = await storeEvents([{ id: "churn-gone", account: "terminated-1", name: "churned" }]);
    expect(await routeEventsToRuns(s.deps, s.workspaceId, churn)).toBe(0);
    expect(await s.enrollment(routed.id)).toMatchObject({ status: "failed", exitReason: "workflow_closed" });
    await exitEnrollment(s.deps, exited, "customer asked");
    expect(await s.enrollment(exited.id)).toMatchObject({ status: "exited", exitReason: "customer asked" });
    expect((await transitionJourney(db, s.workspaceId, gone.key, "archive", new Date())).ok).toBe(true);
    expect(await signalJourneyRuns(s.deps, gone.id, "archive")).toBe(1);
    expect(await s.enrollment(archived.id)).toMatchObject({
      status: "exited",
      exitReason: "journey_archived",
    });
    for (const run of terminated) expect(await listeners(run.id)).toEqual([]);
  });

  it("continues as new mid-journey, carrying its state, the events it saw and its transition count", async () => {
    const journey = await s.publish({
      key: "busy",
      name: "Busy account",
      trigger: { type: "manual" },
      steps: [
        { id: "busy", type: "wait_for_event", event: "login", timeout: "P30D", onTimeout: "bye" },
        {
          id: "count",
          type: "branch",
          if: { fact: "event.feature_used.count", op: "eq", value: 20 },
          then: "hello",
          else: "bye",
        },
        { id: "hello", type: "email", template: "onboarding-welcome", to: "role:admin", next: null },
        { id: "bye", type: "exit", reason: "miscounted" },
      ],
    });
    const row = await enrollmentRows(journey, await s.account("busy"));
    // A low threshold stands in for Temporal's suggestion, which takes thousands of events.
    const handle = await s.env.client.workflow.start<JourneyRunWorkflow>("journeyRun", {
      taskQueue: s.deps.taskQueue,
      workflowId: row.workflowId,
      args: [{ workspaceId: s.workspaceId, enrollmentId: row.id, continueAsNewAfter: 15 }],
    });
    const firstRunId = handle.firstExecutionRunId;
    for (let i = 1; i <= 20; i++) {
      await handle.signal(accountEventSignal, { eventId: `use-${i}`, name: "feature_used" });
    }
    await s.untilVirtual(
      async () => ((await handle.describe()).runId !== firstRunId ? true : undefined),
      "the run to continue as new",
      100,
      60_000,
    );
    // Events seen before the boundary are still recognised after it.
    await handle.signal(accountEventSignal, { eventId: "use-1", name: "feature_used" });
    await handle.signal(accountEventSignal, { eventId: "use-20", name: "feature_used" });
    expect(await handle.query(stateQuery)).toMatchObject({
      status: "waiting",
      cursor: "busy",
      eventCounts: { feature_used: 20 },
    });
    await handle.signal(accountEventSignal, { eventId: "login-busy", name: "login" });
    expect(await handle.result()).toMatchObject({ status: "completed", exitReason: "end_of_journey" });

    const first = await s.env.client.workflow.getHandle(row.workflowId, firstRunId).fetchHistory();
    expect(first.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    const trace = await s.database.db
      .select()
      .from(enrollmentTrace)
      .where(eq(enrollmentTrace.enrollmentId, row.id))
      .orderBy(asc(enrollmentTrace.transition), asc(enrollmentTrace.position));
    // Had the count restarted, these transitions would reuse the first's numbers and be dropped.
    expect(trace.map((t) => [t.transition, `${t.stepId ?? "-"} ${t.kind}`])).toEqual([
      [1, "- entered"],
      [1, "busy waiting_for_event"],
      [2, "busy event_received"],
      [2, "count branch"],
      [2, "hello touch"],
      [2, "hello sent"],
      [2, "- completed"],
    ]);
    expect(trace.find((t) => t.kind === "branch")?.detail).toMatchObject({
      result: true,
      facts: { "event.feature_used.count": 20 },
    });
    expect((await s.touches(row.id)).map((t) => [t.touchKey, t.status])).toEqual([["hello:1", "sent"]]);
    await s.recordHistory("continue-as-new", row.workflowId, firstRunId);
    await s.recordHistory("continued-run", row.workflowId);
  });
});
