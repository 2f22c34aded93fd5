import { readFile } from "node:fs/promises";
import proto from "@temporalio/proto";
import { and, count, eq, inArray, sql } from "drizzle-orm";
import { parse as parseDuration } from "tinyduration";
import { accounts, enrollments, escalations } from "../../db/schema";
import {
  escalationSlaWorkflowId,
  type JourneyRunWorkflow,
  type TransitionInput,
} from "../../workflows/contracts";
import type { ApiProcess } from "../api-process";
import type { BenchStack } from "../stack";
import type { BenchBaselinePlan, BenchBaselineWorkflow } from "../workflows/contracts";
import {
  type Ctx,
  type Figure,
  GAINSIGHT_PER_SECOND,
  pool,
  RAW_ENGINE_GOAL,
  round,
  rowsOf,
  seconds,
  seedAccounts,
} from "./shared";

/** Issue 19: enrollment starts through the API, per second. */
const ENROLL_GOAL_PER_SECOND = 100;

/** ISO durations of the playbook with a day as `perDay` seconds (P3D → PT3S), so months take a minute. */
function scaled(value: unknown, perDay: number): unknown {
  if (Array.isArray(value)) return value.map((v) => scaled(v, perDay));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scaled(v, perDay)]));
  if (typeof value === "string" && /^-?P(?!$)/.test(value)) {
    try {
      const d = parseDuration(value);
      const days =
        (d.years ?? 0) * 365 +
        (d.months ?? 0) * 30 +
        (d.weeks ?? 0) * 7 +
        (d.days ?? 0) +
        (d.hours ?? 0) / 24;
      return `${d.negative ? "-" : ""}PT${Math.max(0.1, days * perDay).toFixed(2)}S`;
    } catch {
      return value;
    }
  }
  return value;
}

/**
 * The ceiling Temporal itself sets on enrollment starts here: bare starts of a journey run with the
 * options enroll() uses, as many in flight as the API's clients, on a task queue no worker polls.
 */
async function bareStartsPerSecond(stack: BenchStack, n: number): Promise<number> {
  const started = performance.now();
  await pool(
    Array.from({ length: n }, (_, i) => i),
    16,
    async (i) => {
      await stack.deps.client.workflow.start<JourneyRunWorkflow>("journeyRun", {
        taskQueue: `bench-unpolled-${process.pid}`,
        workflowId: `bench-bare-start-${process.pid}-${i}`,
        args: [{ workspaceId: stack.workspaceId, enrollmentId: `bare-${i}` }],
        memo: { enrollmentId: `bare-${i}` },
        workflowIdConflictPolicy: "USE_EXISTING",
        workflowIdReusePolicy: "REJECT_DUPLICATE",
      });
    },
  );
  return n / seconds(performance.now() - started);
}

/** POSTs an enrollment of each account, 16 in flight, to `volante api` if given, else the in-process API. */
async function enrollAll(
  stack: BenchStack,
  api: ApiProcess | undefined,
  rows: { externalId: string }[],
  journey = "bench-onboarding",
): Promise<string[]> {
  const enroll = (account: string) =>
    api
      ? fetch(`${api.url}/v1/enrollments`, {
          method: "POST",
          headers: { authorization: `Bearer ${stack.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({ journey, account }),
        })
      : stack.request("POST", "/v1/enrollments", { journey, account });
  const ids: string[] = [];
  await pool(rows, 16, async (row) => {
    const res = await enroll(row.externalId);
    if (res.status !== 201) throw new Error(`enroll ${row.externalId}: ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  });
  return ids;
}

/**
 * Enrollment starts through `volante api` in its own process with the worker out of the way: `n`
 * accounts of their own, their runs started on a task queue no worker polls (the server they are on
 * is replaced before the journeys run).
 */
async function enrollmentStartsAlone(stack: BenchStack, n: number): Promise<number> {
  await seedAccounts(stack, "es-", n, 20);
  const rows = await stack.database.db
    .select({ externalId: accounts.externalId })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, stack.workspaceId), sql`${accounts.externalId} like 'es-%'`));
  const api = await stack.apiProcess({ taskQueue: `bench-unpolled-api-${process.pid}` });
  try {
    const started = performance.now();
    await enrollAll(stack, api, rows);
    return rows.length / seconds(performance.now() - started);
  } finally {
    await api.stop();
  }
}

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

/**
 * A run's plan for the bare engine: its timers and activities in order, read from its history. A
 * task-queue activity whose transition opened an escalation starts the next of `spawns` (the SLA
 * workflows of the run's escalations, in the order they were opened), as the transition does.
 */
function planOf(events: HistoryEvent[], spawns: BenchBaselinePlan[]): BenchBaselinePlan {
  const T = proto.temporal.api.enums.v1.EventType;
  const steps: BenchBaselinePlan["steps"] = [];
  let spawned = 0;
  for (const e of events) {
    if (e.eventType === T.EVENT_TYPE_TIMER_STARTED) {
      const t = e.timerStartedEventAttributes?.startToFireTimeout;
      steps.push({ timerMs: Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6) });
    } else if (e.eventType === T.EVENT_TYPE_MARKER_RECORDED) steps.push({ activity: true });
    else if (e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      const data = e.activityTaskScheduledEventAttributes?.input?.payloads?.[0]?.data;
      const input = data ? (JSON.parse(Buffer.from(data).toString("utf8")) as Partial<TransitionInput>) : {};
      const opens = (input.commands ?? []).filter((c) => c.type === "escalate").length;
      const spawn = opens > 0 ? spawns[spawned] : undefined;
      spawned += opens;
      steps.push({ activity: true, regular: true, ...(spawn ? { spawn } : {}) });
    }
  }
  return { steps };
}

async function untilAllDone(stack: BenchStack, ids: string[], what: string, log: (l: string) => void) {
  for (;;) {
    const [row] = await stack.database.db
      .select({ n: count() })
      .from(enrollments)
      .where(
        and(inArray(enrollments.id, ids), inArray(enrollments.status, ["completed", "exited", "failed"])),
      );
    if ((row?.n ?? 0) >= ids.length) return;
    log(`${what}: ${row?.n ?? 0}/${ids.length} finished`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/**
 * Journeys against the bare engine: the onboarding playbook with its waits scaled, then bare workflows
 * with the same local activities and timers as one of its runs.
 */
export async function journeys({ stack, mode, log }: Ctx): Promise<Figure[]> {
  const n = mode === "quick" ? 200 : 2000;
  const file = JSON.parse(
    await readFile(new URL("../../templates/journeys/onboarding-tech-touch.json", import.meta.url), "utf8"),
  ) as Record<string, unknown>;
  // Quick: a day is 0.15 s (the playbook's 90 days in about 14 s); full: a quarter of a second.
  const perDay = mode === "quick" ? 0.15 : 0.25;
  const definition = scaled(file, perDay) as Record<string, unknown>;
  // The CSM's call holds the run until resolved; here nobody resolves, so it must not hold.
  definition.steps = (definition.steps as Record<string, unknown>[]).map((s) =>
    s.type === "escalate" ? { ...s, waitForResolution: false } : s,
  );
  definition.trigger = { type: "manual" };
  const { key: _key, ...body } = definition;
  let res = await stack.request("PUT", "/v1/journeys/bench-onboarding", body);
  if (res.status >= 300) throw new Error(`journey draft: ${await res.text()}`);
  res = await stack.request("POST", "/v1/journeys/bench-onboarding/publish");
  if (res.status !== 201) throw new Error(`journey publish: ${await res.text()}`);
  const [journey] = await stack.database.db
    .execute(
      sql`select id from journeys where workspace_id = ${stack.workspaceId} and key = 'bench-onboarding'`,
    )
    .then((r) => rowsOf<{ id: string }>(r));
  await seedAccounts(stack, "jr-", n, 20);
  const rows = await stack.database.db
    .select({ externalId: accounts.externalId })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, stack.workspaceId), sql`${accounts.externalId} like 'jr-%'`));

  // Months in minutes wake every run at once: the cache must hold them all (each run and the SLA
  // workflows of its two escalations), as TEMPORAL_MAX_CACHED_WORKFLOWS should hold a deployment's
  // busy set. One worker process, as `npm start` runs: a second one on this machine's other core
  // made both Volante and the bare engine slower (decision 0017).
  const cache = Math.max(stack.maxCachedWorkflows, 3 * n);
  await stack.freshTemporal(cache);
  // On a server of its own, so its open runs do not weigh on the journeys'.
  const bareStarts = await bareStartsPerSecond(stack, Math.min(n, 500));
  // The API's own rate, measured as the bare starts are: on this server, its runs queued on a task
  // queue no worker polls, so the bench's worker does not share the two cores with it.
  const alone = stack.raw ? await enrollmentStartsAlone(stack, Math.min(n, 1000)) : undefined;
  await stack.freshTemporal(cache);
  // The enrollments go to `volante api` in a process of its own, as production runs it (decision
  // 0042), while the bench's worker runs the journeys they start; on PGlite (one writer) to the
  // bench's in-process API, which shares its event loop with that worker.
  const api = stack.raw ? await stack.apiProcess() : undefined;
  const where = api ? "volante api in its own process" : "the bench's in-process API";
  log(
    `journeys: ${n} enrollments of the onboarding playbook through POST /v1/enrollments (${where}), waits scaled`,
  );
  const started = performance.now();
  const ids = await enrollAll(stack, api, rows);
  const enrollSeconds = seconds(performance.now() - started);
  await api?.stop();
  await untilAllDone(stack, ids, "journeys", log);
  const journeySeconds = seconds(performance.now() - started);
  const [touchCount] = await stack.database.db
    .execute(
      sql`select count(*)::int as n from touches t join enrollments e on e.id = t.enrollment_id where e.journey_id = ${journey?.id} and t.status in ('sent','skipped')`,
    )
    .then((r) => rowsOf<{ n: number }>(r));
  const touchesDone = Number(touchCount?.n ?? 0);

  // One run's history: its events per touch, and the plan the bare engine repeats, with the SLA
  // workflows its escalations started.
  const [sample] = await stack.database.db
    .select()
    .from(enrollments)
    .where(eq(enrollments.id, ids[0] ?? ""));
  const history = await stack.deps.client.workflow.getHandle(sample?.workflowId ?? "").fetchHistory();
  const slaRuns = await stack.database.db
    .select({ id: escalations.id })
    .from(escalations)
    .where(eq(escalations.enrollmentId, sample?.id ?? ""))
    .orderBy(escalations.createdAt);
  const slaPlans: BenchBaselinePlan[] = [];
  for (const { id } of slaRuns) {
    const sla = await stack.deps.client.workflow.getHandle(escalationSlaWorkflowId(id)).fetchHistory();
    slaPlans.push(planOf(sla.events ?? [], []));
  }
  const plan = planOf(history.events ?? [], slaPlans);
  const steps = plan.steps;
  const sampleTouches = await stack.database.db
    .execute(sql`select count(*)::int as n from touches where enrollment_id = ${ids[0]}`)
    .then((r) => rowsOf<{ n: number }>(r));
  const perTouch = (history.events?.length ?? 0) / Math.max(1, Number(sampleTouches[0]?.n ?? 1));

  // The bare engine on a fresh server too: Volante's last SLA workflows and thousands of closed runs
  // stay on this one (in one run 2,000 bare workflows took 116 s after them, in another 192 s).
  await stack.freshTemporal(cache);
  log(
    `journeys: the bare engine, ${n} workflows of ${steps.length} steps and ${slaPlans.length} SLA-shaped workflows each (same activities and timers)`,
  );
  const baseStarted = performance.now();
  const handles = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      stack.deps.client.workflow.start<BenchBaselineWorkflow>("benchBaseline", {
        taskQueue: stack.deps.taskQueue,
        workflowId: `bench-baseline-${process.pid}-${i}`,
        args: [plan],
      }),
    ),
  );
  // A few dozen long polls at a time: thousands at once overwhelm the client connection.
  await pool(handles, 50, async (h) => {
    await h.result();
  });
  const baseSeconds = seconds(performance.now() - baseStarted);
  await stack.restartWorker(stack.maxCachedWorkflows);
  const completed = n / journeySeconds;
  const bare = n / baseSeconds;
  const underLoad = n / enrollSeconds;
  const enrolled = alone ?? underLoad;
  // The bare engine's touches/s: its runs/s times the touches one journey made.
  const bareTouches = (bare * touchesDone) / n;
  const touchesPerSecond = touchesDone / journeySeconds;
  return [
    {
      scenario: "journeys",
      name: "enrollments started/s through POST /v1/enrollments",
      value: round(enrolled, 0),
      unit: "/s",
      limit: ENROLL_GOAL_PER_SECOND,
      ratio: round(enrolled / ENROLL_GOAL_PER_SECOND, 2),
      note: `limit = issue 19's goal; ${alone ? `volante api in its own process, 16 in flight, its runs queued on a task queue no worker polls, as the bare starts are; ${round(underLoad, 0)}/s while the bench's worker runs the journeys it starts on the same cores (next row)` : where}; ${round(enrolled / bareStarts, 2)}× bare Temporal starts at 16 in flight (${round(bareStarts, 0)}/s); ${round(enrolled / GAINSIGHT_PER_SECOND, 1)}× Gainsight's cap of 500k journey participants a day per tenant`,
    },
    ...(alone
      ? [
          {
            scenario: "journeys",
            name: "enrollments started/s while the worker runs them",
            value: round(underLoad, 0),
            unit: "/s",
            note: `the ${n} enrollments of the journeys below, ${where}, while the bench's worker runs the journeys they start on the same two cores`,
          },
        ]
      : []),
    {
      scenario: "journeys",
      name: "completed journeys/s",
      value: round(completed, 1),
      unit: "/s",
      limit: round(RAW_ENGINE_GOAL * bare, 1),
      ratio: round(completed / (RAW_ENGINE_GOAL * bare), 2),
      note: `limit = ${RAW_ENGINE_GOAL} × bare Temporal workflows with the same activities and timers, each starting ${slaPlans.length} SLA-shaped workflows as its escalations did (${round(bare, 1)}/s); ${round(completed / bare, 2)}× bare; one worker, workflow cache ${cache}`,
    },
    {
      scenario: "journeys",
      name: "touches/s",
      value: round(touchesPerSecond, 1),
      unit: "/s",
      limit: round(RAW_ENGINE_GOAL * bareTouches, 1),
      ratio: round(touchesPerSecond / (RAW_ENGINE_GOAL * bareTouches), 2),
      note: `${touchesDone} touches; limit = ${RAW_ENGINE_GOAL} × the bare engine's runs/s × touches per journey (${round(bareTouches, 1)}/s); ${round(touchesPerSecond / bareTouches, 2)}× bare`,
    },
    {
      scenario: "journeys",
      name: "history events per touch",
      value: round(perTouch, 1),
      unit: "events",
      limit: 6,
      ratio: round(6 / perTouch, 2),
      note: "a transition that sends email is a task-queue activity (decision 0043): six events where a local activity's marker was one",
    },
  ];
}
