import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../db/client";
import { migrate } from "../db/migrate";
import { databaseBefore } from "./migration-harness";

/** Migration 0022 keeps routing state per stored batch: events still unrouted become batches. */

const MOVE = "0022_event_routing_batches";

let database: Database;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ database, close } = await databaseBefore(MOVE));
});
afterAll(async () => {
  await close?.();
});

const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;

describe("moving routing state from events to unrouted_batches", () => {
  it("makes batches of at most 1,000 of the events still unrouted, dated by their receipt", async () => {
    const [ws] = rowsOf<{ id: string }>(
      await database.db.execute(sql`insert into workspaces (name) values ('w') returning id`),
    );
    const [acc] = rowsOf<{ id: string }>(
      await database.db.execute(
        sql`insert into accounts (workspace_id, external_id, name) values (${ws?.id}, 'a', 'A') returning id`,
      ),
    );
    // 1,001 unrouted (received a day ago onwards) and 5 routed.
    await database.db.execute(sql`
      insert into events (workspace_id, event_id, account_id, name, occurred_at, received_at, routed_at)
      select ${ws?.id}, 'e' || g, ${acc?.id}, 'login', now(), now() - interval '1 day' + g * interval '1 second',
        case when g > 1001 then now() end
      from generate_series(1, 1006) g`);

    await migrate(database);

    const batches = rowsOf<{ events: number; oldest: boolean }>(
      await database.db.execute(sql`
        select cardinality(event_ids) as events, created_at < now() - interval '23 hours' as oldest
        from unrouted_batches where workspace_id = ${ws?.id} order by created_at`),
    );
    expect(batches).toEqual([
      { events: 1000, oldest: true },
      { events: 1, oldest: true },
    ]);
    const covered = rowsOf<{ n: number }>(
      await database.db.execute(sql`
        select count(*)::int as n from events e
        where exists (select 1 from unrouted_batches b where e.id = any(b.event_ids))`),
    );
    expect(covered[0]?.n).toBe(1001);
  });
});
