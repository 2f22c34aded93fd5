import { and, eq, sql } from "drizzle-orm";
import { startEnrollmentRun } from "../../apps/core/enrollments/runtime";
import { accounts, enrollments, journeyVersions } from "../../db/schema";
import { journeyWorkflowId } from "../../workflows/contracts";
import { type Ctx, type Figure, pool, round, rowsOf, seedAccounts } from "./shared";

/** Issue 19: the worker's resident set with 10,000 sleeping runs stays under 600 MiB. */
const MEMORY_GOAL_MIB = 600;

/** Worker memory: peak RSS with thousands of runs asleep in a 30-day wait. */
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
  const measured = alone ? await alone.memory() : undefined;
  const peak = measured?.peak ?? sampled;
  const mib = (b: number) => round(b / 1024 / 1024, 0);
  const parts = measured?.breakdown;
  if (parts)
    log(
      `memory: highest sample ${mib(parts.sampled)} MiB: V8 heap ${mib(parts.heap)}, external ${mib(parts.external)}, the rest (Rust core, allocator, code) ${mib(parts.sampled - parts.heap - parts.external)}`,
    );
  return [
    {
      scenario: "memory",
      name: `peak RSS (${alone ? "worker process" : "API + worker"}) with ${n.toLocaleString("en")} runs sleeping`,
      value: mib(peak),
      unit: "MiB",
      limit: MEMORY_GOAL_MIB,
      ratio: round(MEMORY_GOAL_MIB / mib(peak), 2),
      note: `${mib(peak - base)} MiB above the ${mib(base)} MiB before${parts ? `; at the highest sample, V8's heap ${mib(parts.heap)} MiB, the rest outside it` : ""}`,
    },
  ];
}
