import { and, eq, lt, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { unroutedBatches } from "../../../db/schema/index";

/**
 * A list of ids as one `uuid[]` parameter: `inArray` of 1,000 ids is 1,000 parameters that drizzle
 * builds one by one, and a statement that long is sent unprepared (db/client.ts), in two round trips.
 */
export const idArray = (ids: string[]): SQL => sql`${`{${ids.join(",")}}`}::uuid[]`;

/** The events of those batches still unrouted (a batch deleted since was routed by another run). */
export async function eventsOfBatches(db: Db, workspaceId: string, batchIds: string[]): Promise<string[]> {
  if (batchIds.length === 0) return [];
  const rows = await db
    .select({ eventIds: unroutedBatches.eventIds })
    .from(unroutedBatches)
    .where(
      and(
        eq(unroutedBatches.workspaceId, workspaceId),
        sql`${unroutedBatches.id} = any(${idArray(batchIds)})`,
      ),
    );
  return rows.flatMap((r) => r.eventIds);
}

/**
 * Routing of these batches finished: deletes them (one row a batch, not a write per event), and any
 * batch the events named one by one cover (runs started before batches). Returns, for each event of
 * a batch deleted now, seconds from its storing.
 */
export async function finishRouting(
  db: Db,
  workspaceId: string,
  batchIds: string[],
  eventIds: string[] = [],
): Promise<number[]> {
  if (batchIds.length === 0 && eventIds.length === 0) return [];
  const rows = await db
    .delete(unroutedBatches)
    .where(
      and(
        eq(unroutedBatches.workspaceId, workspaceId),
        or(
          sql`${unroutedBatches.id} = any(${idArray(batchIds)})`,
          eventIds.length > 0 ? sql`${unroutedBatches.eventIds} <@ ${idArray(eventIds)}` : undefined,
        ),
      ),
    )
    .returning({
      events: sql<number>`cardinality(${unroutedBatches.eventIds})`.mapWith(Number),
      lag: sql<number>`extract(epoch from clock_timestamp() - ${unroutedBatches.createdAt})`.mapWith(Number),
    });
  return rows.flatMap((r) => Array<number>(r.events).fill(Math.max(0, r.lag)));
}

/** Batches stored over a minute ago and still unrouted: a batch still being routed is not taken. */
const stale = (workspaceId?: string) =>
  and(
    workspaceId ? eq(unroutedBatches.workspaceId, workspaceId) : undefined,
    lt(unroutedBatches.createdAt, sql`now() - interval '1 minute'`),
  );

/**
 * Batches whose routing never finished (Temporal was away when they came in, or a routing run
 * failed), oldest first, whole batches up to about `limit` events. Routing them again is safe:
 * facts are folded with max() and runs ignore an event id they have seen.
 */
export async function unroutedBatchIds(db: Db, workspaceId: string, limit = 1000): Promise<string[]> {
  const rows = await db
    .select({
      id: unroutedBatches.id,
      events: sql<number>`cardinality(${unroutedBatches.eventIds})`.mapWith(Number),
    })
    .from(unroutedBatches)
    .where(stale(workspaceId))
    .orderBy(unroutedBatches.createdAt)
    .limit(limit);
  const ids: string[] = [];
  let events = 0;
  for (const row of rows) {
    if (ids.length > 0 && events + row.events > limit) break;
    ids.push(row.id);
    events += row.events;
  }
  return ids;
}

/** Workspaces holding events whose routing never finished (swept at start). */
export async function workspacesWithUnroutedEvents(db: Db): Promise<string[]> {
  const rows = await db
    .selectDistinct({ workspaceId: unroutedBatches.workspaceId })
    .from(unroutedBatches)
    .where(stale());
  return rows.map((r) => r.workspaceId);
}
