import { and, eq, sql } from "drizzle-orm";
import { enroll } from "../../apps/core/enrollments/enroll";
import { accounts, escalations } from "../../db/schema";
import { type Ctx, type Figure, percentile, pool, round, rowsOf, seedAccounts } from "./shared";

/** Event → escalation latency: from POST /v1/events to the escalation a waiting run opens. */
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
