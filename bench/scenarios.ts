import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import proto from "@temporalio/proto";
import autocannon from "autocannon";
import { and, count, eq, inArray, sql } from "drizzle-orm";
import { SMTPServer } from "smtp-server";
import { parse as parseDuration } from "tinyduration";
import { createSmtpTransport, sendMail } from "../apps/core/delivery/mailer";
import { renderTemplate } from "../apps/core/delivery/render";
import { enroll } from "../apps/core/enrollments/enroll";
import { startEnrollmentRun } from "../apps/core/enrollments/runtime";
import { recomputeHealth } from "../apps/core/health/health";
import { loadFileTemplates } from "../apps/core/templates/files";
import { accounts, contacts, enrollments, escalations, events, journeyVersions } from "../db/schema";
import { benchBaseline } from "../workflows/bench-baseline";
import { syntheticPopulation } from "../workflows/journey/population";
import { JourneyDefinition } from "../workflows/journey/schema";
import { simulate } from "../workflows/journey/simulate";
import { journeyWorkflowId } from "../workflows/journey-run";
import type { BenchStack } from "./stack";

export type Figure = {
  scenario: string;
  name: string;
  value: number;
  unit: string;
  /** The reference in the same run (a ratio) or the goal it is held to. */
  limit?: number;
  /** value / limit, oriented so that ≥ 1 means "at or better than the limit" where stated. */
  ratio?: number;
  note?: string;
};

export type Mode = "quick" | "full";

type Ctx = { stack: BenchStack; mode: Mode; log: (line: string) => void };

const seconds = (ms: number) => ms / 1000;
/** PGlite answers { rows }, postgres.js an array. */
const rowsOf = <T>(result: unknown): T[] => (result as { rows?: T[] }).rows ?? (result as T[]);
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The references the issue names: Gainsight's 500k journey participants a day per tenant… */
const GAINSIGHT_PER_SECOND = round(500_000 / 86_400, 2);
/** …and Customer.io's "about one million emails an hour". */
const CUSTOMER_IO_PER_SECOND = round(1_000_000 / 3_600, 0);

async function pool<T>(items: T[], concurrency: number, work: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i] as T, i);
      }
    }),
  );
}

async function seedAccounts(stack: BenchStack, prefix: string, n: number, licenses = 20) {
  await stack.database.db.execute(sql`
    insert into accounts (workspace_id, external_id, name, tier, licenses, lifecycle_stage)
    select ${stack.workspaceId}, ${prefix} || g, 'Account ' || g, 'tech_touch', ${licenses}, 'adoption'
    from generate_series(1, ${n}) g
  `);
  await stack.database.db.execute(sql`
    insert into contacts (workspace_id, account_id, external_id, email, name, role)
    select a.workspace_id, a.id, 'admin', 'admin@' || a.external_id || '.example', 'Admin', 'admin'
    from accounts a where a.workspace_id = ${stack.workspaceId} and a.external_id like ${`${prefix}%`}
  `);
}

// ── 1. Ingestion ──────────────────────────────────────────────────────────────────────────────
export async function ingestion({ stack, mode, log }: Ctx): Promise<Figure[]> {
  const total = mode === "quick" ? 20_000 : 100_000;
  const batch = 1000;
  const clients = 4;
  await seedAccounts(stack, "ing-", 100);
  const now = Date.now();
  const make = (run: string, i: number) => ({
    id: `${run}-${i}`,
    account: `ing-${(i % 100) + 1}`,
    name: ["login", "report_created", "dashboard_shared"][i % 3] as string,
    occurredAt: new Date(now - (i % 86_400) * 1000).toISOString(),
    properties: { user: `u${i % 7}` },
  });
  const batches = Array.from({ length: total / batch }, (_, b) =>
    Array.from({ length: batch }, (_, k) => make("api", b * batch + k)),
  );
  log(`ingestion: ${total} events through POST /v1/events, ${clients} clients`);
  let started = performance.now();
  await pool(batches, clients, async (items) => {
    const res = await stack.request("POST", "/v1/events", { events: items });
    if (res.status !== 200) throw new Error(`POST /v1/events answered ${res.status}: ${await res.text()}`);
  });
  const apiSeconds = seconds(performance.now() - started);

  // The same rows, straight into the table: the limit of the database itself.
  const [acc] = await stack.database.db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, stack.workspaceId), eq(accounts.externalId, "ing-1")));
  log(`ingestion: the same ${total} rows as raw multi-row INSERTs`);
  started = performance.now();
  await pool(batches, clients, async (items, b) => {
    await stack.database.db.insert(events).values(
      items.map((e, k) => ({
        workspaceId: stack.workspaceId,
        eventId: `raw-${b}-${k}`,
        accountId: acc?.id ?? "",
        name: e.name,
        occurredAt: new Date(e.occurredAt),
        properties: e.properties,
        // Seeded rows are not to be routed (and swept into later scenarios' routing).
        routedAt: new Date(),
      })),
    );
  });
  const rawSeconds = seconds(performance.now() - started);
  const api = total / apiSeconds;
  const rawRate = total / rawSeconds;
  return [
    {
      scenario: "ingestion",
      name: "events/s through the API",
      value: round(api, 0),
      unit: "events/s",
      limit: round(rawRate, 0),
      ratio: round(api / rawRate, 2),
      note: "limit = raw INSERT of the same rows",
    },
  ];
}

// ── 2. Health ─────────────────────────────────────────────────────────────────────────────────
export async function health({ stack, mode, log }: Ctx): Promise<Figure[]> {
  const sizes =
    mode === "quick"
      ? [[2_000, 200_000]]
      : [
          [10_000, 1_000_000],
          [100_000, 10_000_000],
        ];
  const figures: Figure[] = [];
  for (const [n, m] of sizes as [number, number][]) {
    // A workspace of its own per size, so the recompute sees exactly these accounts.
    const ws = await stack.database.db.execute(
      sql`insert into workspaces (name) values ('health bench') returning id`,
    );
    const workspaceId = String(rowsOf<{ id: string }>(ws)[0]?.id);
    log(`health: seeding ${n} accounts and ${m} events`);
    let started = performance.now();
    await stack.database.db.execute(sql`
      insert into accounts (workspace_id, external_id, name, tier, licenses, lifecycle_stage)
      select ${workspaceId}, 'h' || g, 'Account ' || g, (array['tech_touch','low_touch','high_touch'])[1 + g % 3], 10 + g % 40, 'adoption'
      from generate_series(1, ${n}) g`);
    // Two loaders at once over halves of the range, one per core, into a table without its indexes.
    const half = Math.ceil(m / 2);
    await withoutIndexes(stack, "events", () =>
      Promise.all(
        [
          [1, half],
          [half + 1, m],
        ].map(([from, to]) =>
          stack.database.db.execute(sql`
            insert into events (workspace_id, event_id, account_id, name, occurred_at, properties, routed_at)
            select ${workspaceId}, 'e' || g, a.ids[1 + (g % ${n})],
              (array['login','report_created','dashboard_shared','export','outcome_achieved','message_opened'])[1 + (g % 6)],
              now() - ((g % 90) || ' days')::interval - ((g % 24) || ' hours')::interval,
              jsonb_build_object('user', 'u' || (g % 13)), now()
            from generate_series(${from}::int, ${to}::int) g,
              (select array_agg(id) as ids from accounts where workspace_id = ${workspaceId}) a`),
        ),
      ),
    );
    await stack.database.db.execute(sql`vacuum (analyze) events`);
    const seedSeconds = seconds(performance.now() - started);
    log(`health: seeded in ${round(seedSeconds)} s; recomputing`);
    started = performance.now();
    const result = await recomputeHealth(stack.deps, workspaceId, new Date());
    const took = seconds(performance.now() - started);
    if (result.accounts !== n) throw new Error(`recompute scored ${result.accounts} of ${n} accounts`);
    const goal = n <= 10_000 ? 5 : 60;
    figures.push({
      scenario: "health",
      name: `full recompute, ${n.toLocaleString("en")} accounts / ${m.toLocaleString("en")} events`,
      value: round(took, 2),
      unit: "s",
      limit: n >= 10_000 ? goal : undefined,
      ratio: n >= 10_000 ? round(goal / took, 2) : undefined,
      note: `${round(m / took / 1000, 0)}k events/s, ${round(n / took, 0)} accounts/s`,
    });
    // The next size and later scenarios get a database without these rows: TRUNCATE, as a cascading
    // delete of 10M events would take minutes (earlier scenarios' events go too; none reads them again).
    await stack.database.db.execute(sql`truncate events`);
    await stack.database.db.execute(sql`delete from workspaces where id = ${workspaceId}`);
  }
  return figures;
}

/**
 * Runs a bulk `load` into `table` with its indexes and constraints dropped, then rebuilds them
 * from the definitions read back from the catalog, so the measured queries see the schema's own.
 */
async function withoutIndexes(stack: BenchStack, table: string, load: () => Promise<unknown>) {
  const { db } = stack.database;
  const constraints = rowsOf<{ name: string; def: string }>(
    await db.execute(sql`
      select conname as name, pg_get_constraintdef(oid) as def from pg_constraint
      where conrelid = ${table}::regclass order by contype = 'f'`),
  );
  const indexes = rowsOf<{ name: string; def: string }>(
    await db.execute(sql`
      select indexname as name, indexdef as def from pg_indexes
      where schemaname = current_schema() and tablename = ${table}
        and indexname not in (select conname from pg_constraint where conrelid = ${table}::regclass)`),
  );
  for (const c of [...constraints].reverse())
    await db.execute(sql.raw(`alter table ${table} drop constraint "${c.name}"`));
  for (const i of indexes) await db.execute(sql.raw(`drop index "${i.name}"`));
  await load();
  const addConstraint = (c: { name: string; def: string }) =>
    `alter table ${table} add constraint "${c.name}" ${c.def}`;
  const foreign = (c: { def: string }) => c.def.startsWith("FOREIGN KEY");
  // Independent builds, two at a time (one per core); foreign keys last, once the keys exist.
  await pool(
    [...indexes.map((i) => i.def), ...constraints.filter((c) => !foreign(c)).map(addConstraint)],
    2,
    (statement) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`set local maintenance_work_mem = '512MB'`);
        await tx.execute(sql.raw(statement));
      }),
  );
  for (const c of constraints.filter(foreign)) await db.execute(sql.raw(addConstraint(c)));
}

// ── 3. Journeys vs the bare engine ────────────────────────────────────────────────────────────
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

export async function journeys({ stack, mode, log }: Ctx): Promise<Figure[]> {
  const n = mode === "quick" ? 200 : 2000;
  const file = JSON.parse(
    await readFile(new URL("../templates/journeys/onboarding-tech-touch.json", import.meta.url), "utf8"),
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
  log(`journeys: ${n} enrollments of the onboarding playbook through POST /v1/enrollments, waits scaled`);
  const started = performance.now();
  const ids: string[] = [];
  await pool(rows, 16, async (row) => {
    const res = await stack.request("POST", "/v1/enrollments", {
      journey: "bench-onboarding",
      account: row.externalId,
    });
    if (res.status !== 201) throw new Error(`enroll ${row.externalId}: ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  });
  const enrollSeconds = seconds(performance.now() - started);
  await untilAllDone(stack, ids, "journeys", log);
  const journeySeconds = seconds(performance.now() - started);
  const [touchCount] = await stack.database.db
    .execute(
      sql`select count(*)::int as n from touches t join enrollments e on e.id = t.enrollment_id where e.journey_id = ${journey?.id} and t.status in ('sent','skipped')`,
    )
    .then((r) => rowsOf<{ n: number }>(r));
  const touchesDone = Number(touchCount?.n ?? 0);

  // One run's history: its events per touch, and the plan the bare engine repeats.
  const [sample] = await stack.database.db
    .select()
    .from(enrollments)
    .where(eq(enrollments.id, ids[0] ?? ""));
  const history = await stack.deps.client.workflow.getHandle(sample?.workflowId ?? "").fetchHistory();
  const T = proto.temporal.api.enums.v1.EventType;
  const steps: ({ timerMs: number } | { activity: true })[] = [];
  for (const e of history.events ?? []) {
    if (e.eventType === T.EVENT_TYPE_TIMER_STARTED) {
      const t = e.timerStartedEventAttributes?.startToFireTimeout;
      steps.push({ timerMs: Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6) });
    } else if (e.eventType === T.EVENT_TYPE_MARKER_RECORDED) steps.push({ activity: true });
  }
  const sampleTouches = await stack.database.db
    .execute(sql`select count(*)::int as n from touches where enrollment_id = ${ids[0]}`)
    .then((r) => rowsOf<{ n: number }>(r));
  const perTouch = (history.events?.length ?? 0) / Math.max(1, Number(sampleTouches[0]?.n ?? 1));

  // The bare engine on a fresh server too: Volante's last SLA workflows and thousands of closed runs
  // stay on this one (in one run 2,000 bare workflows took 116 s after them, in another 192 s).
  await stack.freshTemporal(cache);
  log(
    `journeys: the bare engine, ${n} workflows of ${steps.length} steps (same local activities and timers)`,
  );
  const baseStarted = performance.now();
  const handles = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      stack.deps.client.workflow.start(benchBaseline, {
        taskQueue: stack.deps.taskQueue,
        workflowId: `bench-baseline-${process.pid}-${i}`,
        args: [{ steps }],
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
  const enrolled = n / enrollSeconds;
  // The bare engine's touches/s: its runs/s times the touches one journey made.
  const bareTouches = (bare * touchesDone) / n;
  return [
    {
      scenario: "journeys",
      name: "enrollments started/s through POST /v1/enrollments",
      value: round(enrolled, 0),
      unit: "/s",
      limit: GAINSIGHT_PER_SECOND,
      ratio: round(enrolled / GAINSIGHT_PER_SECOND, 2),
      note: "limit = Gainsight's cap of 500k journey participants a day per tenant",
    },
    {
      scenario: "journeys",
      name: "completed journeys/s",
      value: round(completed, 1),
      unit: "/s",
      limit: round(bare, 1),
      ratio: round(completed / bare, 2),
      note: `limit = bare Temporal workflows with the same activities and timers; one worker, workflow cache ${cache}`,
    },
    {
      scenario: "journeys",
      name: "touches/s",
      value: round(touchesDone / journeySeconds, 1),
      unit: "/s",
      limit: round(bareTouches, 1),
      ratio: round(touchesDone / journeySeconds / bareTouches, 2),
      note: `${touchesDone} touches; limit = the bare engine's runs/s × touches per journey`,
    },
    {
      scenario: "journeys",
      name: "history events per touch",
      value: round(perTouch, 1),
      unit: "events",
      limit: 6,
      ratio: round(6 / perTouch, 2),
    },
  ];
}

// ── 4. Event → escalation latency ─────────────────────────────────────────────────────────────
export async function escalationLatency({ stack, mode, log }: Ctx): Promise<Figure[]> {
  const n = mode === "quick" ? 30 : 100;
  const rate = 10;
  await stack.request("PUT", "/v1/journeys/bench-alarm", {
    name: "Alarm",
    trigger: { type: "manual" },
    steps: [
      {
        id: "watch",
        type: "wait_for_event",
        event: "alarm",
        timeout: "P30D",
        onTimeout: "done",
        next: "call",
      },
      { id: "call", type: "escalate", reason: "Alarm", priority: "high", sla: "P1D", next: "done" },
      { id: "done", type: "exit" },
    ],
  });
  const pub = await stack.request("POST", "/v1/journeys/bench-alarm/publish");
  if (pub.status !== 201) throw new Error(`alarm journey: ${await pub.text()}`);
  await seedAccounts(stack, "al-", n);
  const list = await stack.database.db
    .select({ id: accounts.id, externalId: accounts.externalId })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, stack.workspaceId), sql`${accounts.externalId} like 'al-%'`));
  const [journey] = await stack.database.db
    .execute(sql`select id from journeys where workspace_id = ${stack.workspaceId} and key = 'bench-alarm'`)
    .then((r) => rowsOf<{ id: string }>(r));
  const ids = new Map<string, string>();
  await pool(list, 16, async (a) => {
    const out = await enroll(stack.deps, {
      workspaceId: stack.workspaceId,
      journeyId: journey?.id ?? "",
      accountId: a.id,
      trigger: "manual",
    });
    if (!out.enrolled) throw new Error(out.reason);
    ids.set(a.externalId, out.enrollment.id);
  });
  // Let every run reach its wait before the clock starts.
  await new Promise((r) => setTimeout(r, 3000));
  log(`latency: ${n} events at ${rate}/s, each until its escalation exists`);
  const latencies: number[] = [];
  await Promise.all(
    list.map(async (a, i) => {
      await new Promise((r) => setTimeout(r, (i * 1000) / rate));
      const sent = performance.now();
      const res = await stack.request("POST", "/v1/events", {
        events: [
          {
            id: `alarm-${a.externalId}`,
            account: a.externalId,
            name: "alarm",
            occurredAt: new Date().toISOString(),
          },
        ],
      });
      if (res.status !== 200) throw new Error(`event: ${res.status}`);
      for (;;) {
        const [row] = await stack.database.db
          .select({ id: escalations.id })
          .from(escalations)
          .where(eq(escalations.enrollmentId, ids.get(a.externalId) ?? ""));
        if (row) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      latencies.push(performance.now() - sent);
    }),
  );
  latencies.sort((x, y) => x - y);
  return [
    {
      scenario: "latency",
      name: "event → escalation p50",
      value: round(percentile(latencies, 50), 0),
      unit: "ms",
      limit: 1000,
      ratio: round(1000 / percentile(latencies, 50), 2),
    },
    {
      scenario: "latency",
      name: "event → escalation p99",
      value: round(percentile(latencies, 99), 0),
      unit: "ms",
      limit: 2000,
      ratio: round(2000 / percentile(latencies, 99), 2),
    },
  ];
}

// ── 5. API latency ────────────────────────────────────────────────────────────────────────────
export async function apiLatency({ stack, mode, log }: Ctx): Promise<Figure[]> {
  await seedAccounts(stack, "api-", 1000);
  const rate = 200;
  const duration = mode === "quick" ? 5 : 20;
  log(`api: GET /v1/accounts/{id} at ${rate} req/s for ${duration} s (autocannon)`);
  const result = await autocannon({
    url: stack.apiUrl,
    connections: 10,
    overallRate: rate,
    duration,
    headers: { authorization: `Bearer ${stack.apiKey}` },
    requests: [
      {
        method: "GET",
        setupRequest: (req) => ({ ...req, path: `/v1/accounts/api-${1 + Math.floor(Math.random() * 1000)}` }),
      },
    ],
  });
  if (result.non2xx > 0) throw new Error(`${result.non2xx} non-2xx answers`);
  return [
    {
      scenario: "api",
      name: "GET /v1/accounts/{id} p50",
      value: result.latency.p50,
      unit: "ms",
      limit: 20,
      ratio: round(20 / Math.max(1, result.latency.p50), 2),
      note: `${rate} req/s`,
    },
    {
      scenario: "api",
      name: "GET /v1/accounts/{id} p99",
      value: result.latency.p99,
      unit: "ms",
      limit: 50,
      ratio: round(50 / Math.max(1, result.latency.p99), 2),
    },
  ];
}

// ── 6. Worker memory ──────────────────────────────────────────────────────────────────────────
export async function memory({ stack, mode, log }: Ctx): Promise<Figure[]> {
  const n = mode === "quick" ? 500 : 10_000;
  await stack.request("PUT", "/v1/journeys/bench-sleep", {
    name: "Sleep",
    trigger: { type: "manual" },
    steps: [
      { id: "nap", type: "wait", duration: "P30D" },
      { id: "hello", type: "email", template: "onboarding-check-in", to: "role:admin" },
    ],
  });
  const published = await stack.request("POST", "/v1/journeys/bench-sleep/publish");
  if (published.status !== 201) throw new Error(`sleep journey: ${await published.text()}`);
  const [journey] = await stack.database.db
    .execute(sql`select id from journeys where workspace_id = ${stack.workspaceId} and key = 'bench-sleep'`)
    .then((r) => rowsOf<{ id: string }>(r));
  await seedAccounts(stack, "mem-", n);
  // The rows enroll() would write for a manual trigger, inserted in bulk, so the time goes to
  // starting the runs.
  const [version] = await stack.database.db
    .select()
    .from(journeyVersions)
    .where(eq(journeyVersions.journeyId, journey?.id ?? ""));
  if (!version) throw new Error("sleep journey has no version");
  const list = await stack.database.db
    .select({ id: accounts.id, externalId: accounts.externalId })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, stack.workspaceId), sql`${accounts.externalId} like 'mem-%'`));
  const rows: { id: string; workspaceId: string; workflowId: string }[] = [];
  for (let i = 0; i < list.length; i += 1000) {
    const chunk = list.slice(i, i + 1000).map((a) => ({
      workspaceId: stack.workspaceId,
      journeyId: version.journeyId,
      journeyVersionId: version.id,
      version: version.version,
      accountId: a.id,
      entry: 1,
      workflowId: journeyWorkflowId(stack.workspaceId, "bench-sleep", a.externalId, 1),
      trigger: "manual",
      enteredAt: new Date(),
    }));
    rows.push(
      ...(await stack.database.db.insert(enrollments).values(chunk).returning({
        id: enrollments.id,
        workspaceId: enrollments.workspaceId,
        workflowId: enrollments.workflowId,
      })),
    );
  }
  // A fresh server, and a fresh worker with the configured cache, in a process of its own on
  // PostgreSQL so the figure is the worker's alone; on PGlite (one writer) the bench's own process,
  // API included, is measured.
  await stack.freshTemporal(stack.maxCachedWorkflows);
  const alone = stack.raw ? await stack.workerProcess(stack.maxCachedWorkflows) : undefined;
  const base = alone ? (await alone.memory()).rss : process.memoryUsage().rss;
  let sampled = base;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, process.memoryUsage().rss);
  }, 100);
  log(
    `memory: ${n} enrollments sleeping in a 30-day wait${alone ? ", the worker in a process of its own" : ""}`,
  );
  await pool(rows, 64, (row) => startEnrollmentRun(stack.deps, row));
  // Every run has reached its wait once its trace says so.
  for (let tries = 0; ; tries++) {
    if (tries > 600) throw new Error("runs did not all reach their wait in 10 minutes");
    const [row] = await stack.database.db
      .execute(
        sql`select count(distinct e.id)::int as n from enrollments e join enrollment_trace t on t.enrollment_id = e.id where e.journey_id = ${journey?.id} and t.kind = 'wait'`,
      )
      .then((r) => rowsOf<{ n: number }>(r));
    if (Number(row?.n ?? 0) >= n) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  await new Promise((r) => setTimeout(r, 2000));
  clearInterval(sampler);
  const peak = alone ? (await alone.memory()).peak : sampled;
  const mib = (b: number) => round(b / 1024 / 1024, 0);
  return [
    {
      scenario: "memory",
      name: `peak RSS (${alone ? "worker process" : "API + worker"}) with ${n.toLocaleString("en")} runs sleeping`,
      value: mib(peak),
      unit: "MiB",
      limit: 1024,
      ratio: round(1024 / mib(peak), 2),
      note: `${mib(peak - base)} MiB above the ${mib(base)} MiB before`,
    },
  ];
}

// ── 7. Simulator ──────────────────────────────────────────────────────────────────────────────
export async function simulator({ log }: Ctx): Promise<Figure[]> {
  const file = JSON.parse(
    await readFile(new URL("../templates/journeys/onboarding-tech-touch.json", import.meta.url), "utf8"),
  );
  const journey = JourneyDefinition.parse(file);
  const from = "2026-01-01T00:00:00.000Z";
  const window = { from, to: new Date(Date.parse(from) + 90 * 86_400_000).toISOString() };
  log(`simulator: 10,000 accounts × ${journey.steps.length} steps × 90 days`);
  const started = performance.now();
  const run = simulate(journey, syntheticPopulation(10_000, window, journey), window, {});
  const took = seconds(performance.now() - started);
  return [
    {
      scenario: "simulator",
      name: `10,000 accounts × ${journey.steps.length} steps × 90 days`,
      value: round(took, 2),
      unit: "s",
      limit: 10,
      ratio: round(10 / took, 2),
      note: `${run.summary.touches} touches`,
    },
  ];
}

// ── 8. Channels: rendering and SMTP ───────────────────────────────────────────────────────────
export async function channels({ stack, mode, log }: Ctx): Promise<Figure[]> {
  const n = mode === "quick" ? 500 : 1500;
  const [welcome] = (await loadFileTemplates()).filter((t) => t.key === "onboarding-welcome");
  const version = welcome?.locales.ja;
  if (!version) throw new Error("no onboarding-welcome template");
  log(`channels: rendering ${n * 4} emails, sending ${n} to a local SMTP server`);
  let started = performance.now();
  for (let i = 0; i < n * 4; i++)
    renderTemplate(
      version,
      {
        account: { name: `Account ${i}` },
        contact: { name: `Taro ${i}`, locale: "ja", timezone: "Asia/Tokyo", email: `t${i}@x.example` },
        workspace: { name: "Acme" },
        links: { app: "https://app.example", preferences: "https://x.example/u/t" },
      },
      { layout: true },
    );
  const renders = (n * 4) / seconds(performance.now() - started);

  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, cb) {
      stream.on("data", () => {});
      stream.on("end", () => {
        received++;
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.server.address() as AddressInfo).port;
  // The transport production builds from SMTP_URL, and the same send function the delivery uses.
  const transport = createSmtpTransport(`smtp://127.0.0.1:${port}?ignoreTLS=true`);
  const rendered = renderTemplate(
    version,
    { account: { name: "Acme" }, contact: { locale: "ja" }, workspace: { name: "Acme" }, links: {} },
    { layout: true },
  );
  started = performance.now();
  await pool(
    Array.from({ length: n }, (_, i) => i),
    10,
    async (i) => {
      const out = await sendMail({ transport, outboxDir: "" }, stack.workspaceId, `bench-${i}`, {
        from: "cs@acme.example",
        to: `c${i}@x.example`,
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        messageId: `<${i}@bench>`,
      });
      if (!out.ok) throw new Error(out.reason);
    },
  );
  const sent = n / seconds(performance.now() - started);
  transport.close();
  await new Promise<void>((r) => server.close(() => r()));
  if (received !== n) throw new Error(`the SMTP server received ${received} of ${n}`);
  return [
    {
      scenario: "channels",
      name: "templates rendered/s (ja, with layout)",
      value: round(renders, 0),
      unit: "/s",
      limit: CUSTOMER_IO_PER_SECOND,
      ratio: round(renders / CUSTOMER_IO_PER_SECOND, 2),
      note: "limit = Customer.io's stated million emails an hour, one render each",
    },
    {
      scenario: "channels",
      name: "emails delivered/s to a local SMTP server",
      value: round(sent, 0),
      unit: "/s",
      limit: CUSTOMER_IO_PER_SECOND,
      ratio: round(sent / CUSTOMER_IO_PER_SECOND, 2),
      note: "limit = Customer.io's million an hour; the production transport (pooled), 10 sends at a time",
    },
  ];
}

// The scenarios that need no Temporal first: after the journeys the same simulator run took twice as
// long (decision 0017). The Temporal scenarios start on a fresh dev server; memory stays last all the
// same, as its 10,000 sleeping runs are left behind.
export const scenarios = {
  ingestion,
  health,
  simulator,
  channels,
  api: apiLatency,
  latency: escalationLatency,
  journeys,
  memory,
};
export type ScenarioName = keyof typeof scenarios;

export async function contactsCount(stack: BenchStack) {
  return stack.database.db.select({ n: count() }).from(contacts);
}
