import { eq, getTableColumns, inArray, sql } from "drizzle-orm";
import { builtOnce, type Db } from "../../../db/client";
import { enrollments } from "../../../db/schema/index";
import { inParallel } from "../shared/in-parallel";
import { isTemporalUnavailable } from "../shared/temporal-unavailable";
import { RunOfAnotherEnrollment, type RuntimeDeps, runOwner, startEnrollmentRun } from "./runtime";

/** Workflow starts in flight at once: one by one, but not each waiting for the last. */
const IN_FLIGHT = 16;

export type EnrollmentRow = typeof enrollments.$inferSelect;

/** What a new enrollment row is made of; the rest are the table's defaults. */
export type NewEnrollment = {
  workspaceId: string;
  journeyId: string;
  journeyVersionId: string;
  version: number;
  accountId: string;
  entry: number;
  workflowId: string;
  trigger: string;
  enteredAt: Date;
};

/**
 * The rows and their listeners as one statement: the rows handed over as one JSON parameter, the
 * listeners a data-modifying CTE of the rows inserted. The text never changes, so it is built once
 * per database and prepared once per connection, for one row (a manual enrollment) as for 500.
 */
const insertQuery = builtOnce((db) => {
  const inserted = db.$with("inserted", getTableColumns(enrollments)).as(sql`
    insert into enrollments (workspace_id, journey_id, journey_version_id, version, account_id, entry,
      workflow_id, trigger, entered_at)
    select r.workspace_id, r.journey_id, r.journey_version_id, r.version, r.account_id, r.entry,
      r.workflow_id, r.trigger, r.entered_at
    from jsonb_to_recordset(${sql.placeholder("rows")}::jsonb) as r(workspace_id uuid, journey_id uuid,
      journey_version_id uuid, version int, account_id uuid, entry int, workflow_id text, trigger text,
      entered_at timestamptz)
    -- In account order: concurrent batches of one journey then take the unique index's locks in the
    -- same order, so overlapping triggers wait for each other instead of deadlocking.
    order by r.account_id
    on conflict do nothing
    returning *`);
  const listened = db.$with("listened", {}).as(sql`
    insert into enrollment_listeners (enrollment_id, account_id, event_name)
    select i.id, i.account_id, n.name
    from inserted i cross join jsonb_array_elements_text(${sql.placeholder("eventNames")}::jsonb) as n(name)
    on conflict do nothing`);
  return db.with(inserted, listened).select().from(inserted).prepare("insert_enrollments");
});

/**
 * The enrollment rows and their listeners, all or nothing in one round trip; rows that already exist
 * (a duplicate trigger, concurrent or repeated) are not returned.
 */
export async function insertEnrollments(
  db: Db,
  values: NewEnrollment[],
  eventNames: string[],
): Promise<EnrollmentRow[]> {
  if (values.length === 0) return [];
  const rows = JSON.stringify(
    values.map((v) => ({
      workspace_id: v.workspaceId,
      journey_id: v.journeyId,
      journey_version_id: v.journeyVersionId,
      version: v.version,
      account_id: v.accountId,
      entry: v.entry,
      workflow_id: v.workflowId,
      trigger: v.trigger,
      entered_at: v.enteredAt.toISOString(),
    })),
  );
  return insertQuery(db).execute({ rows, eventNames: JSON.stringify(eventNames) });
}

/**
 * Starts the run of each new row. A row whose start failed and whose run is not its own is deleted
 * (no run, no enrollment: the trigger may be retried); after every start is done, the first
 * unexpected failure is thrown, so a retried trigger enrolls what is left. With `defer`, a row whose
 * start failed because Temporal is away is kept, marked as awaiting its run. Answers why each row
 * refused by its workflow id was not run, by row id.
 */
export async function startRuns(
  deps: RuntimeDeps,
  rows: EnrollmentRow[],
  defer: boolean,
): Promise<Map<string, string>> {
  const refused = new Map<string, string>();
  const awaiting: string[] = [];
  let failure: { err: unknown } | undefined;
  await inParallel(rows, IN_FLIGHT, async (row) => {
    try {
      await startEnrollmentRun(deps, row);
    } catch (err) {
      if (defer && isTemporalUnavailable(err)) {
        awaiting.push(row.id);
        return;
      }
      // A start that timed out may still have happened: then the run is this enrollment's.
      if ((await runOwner(deps, row.workflowId)) === row.id) return;
      await deps.db.delete(enrollments).where(eq(enrollments.id, row.id));
      if (err instanceof RunOfAnotherEnrollment) {
        refused.set(row.id, err.message);
        return;
      }
      failure ??= { err };
    }
  });
  if (awaiting.length > 0)
    await deps.db
      .update(enrollments)
      .set({ awaitingRunSince: deps.clock.now() })
      .where(inArray(enrollments.id, awaiting));
  if (failure) throw failure.err;
  return refused;
}
