import { and, eq } from "drizzle-orm";
import { accounts, events } from "../../db/schema";
import { type Ctx, type Figure, pool, RAW_ENGINE_GOAL, round, seconds, seedAccounts } from "./shared";

/** Ingestion: events/s through POST /v1/events against raw INSERTs of the same rows. */
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
      })),
    );
  });
  const rawSeconds = seconds(performance.now() - started);
  const api = total / apiSeconds;
  const rawRate = total / rawSeconds;
  const goal = RAW_ENGINE_GOAL * rawRate;
  return [
    {
      scenario: "ingestion",
      name: "events/s through the API",
      value: round(api, 0),
      unit: "events/s",
      limit: round(goal, 0),
      ratio: round(api / goal, 2),
      note: `limit = ${RAW_ENGINE_GOAL} × raw INSERT of the same rows (${round(rawRate, 0)} events/s); ${round(api / rawRate, 2)}× raw`,
    },
  ];
}
