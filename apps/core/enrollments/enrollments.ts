import { z } from "@hono/zod-openapi";
import { type Client, WorkflowExecutionAlreadyStartedError } from "@temporalio/client";
import { and, asc, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  accounts,
  enrollmentListeners,
  enrollments,
  enrollmentTrace,
  events,
  journeys,
  journeyVersions,
} from "../../../db/schema/index";
import {
  type AccountEventSignal,
  accountEventSignal,
  exitSignal,
  type JourneyRunWorkflow,
  journeyWorkflowId,
  resumeSignal,
} from "../../../workflows/contracts";
import { mayEnter } from "../../../workflows/journey/entry";
import { MESSAGE_OUTCOME_EVENTS } from "../../../workflows/journey/interpreter";
import { JourneyDefinition } from "../../../workflows/journey/schema";
import { eventsOfInterest } from "../../../workflows/journey/simulate";
import { loadFacts } from "../accounts/facts";
import { decodeTimeCursor, toPage } from "../shared/pagination";
import { isUuid } from "../shared/uuid";

/** What starting and signalling enrollments needs. */
export type RuntimeDeps = { db: Db; client: Client; taskQueue: string };

export const EnrollmentStatus = z
  .enum(["active", "held", "completed", "exited", "failed"])
  .openapi("EnrollmentStatus");

export const Enrollment = z
  .object({
    id: z.string(),
    journey: z.string(),
    version: z.number().int(),
    account: z.string(),
    status: EnrollmentStatus,
    currentStep: z.string().nullable(),
    trigger: z.string(),
    entry: z.number().int(),
    enteredAt: z.string(),
    finishedAt: z.string().nullable(),
    exitReason: z.string().nullable(),
    goalReachedAt: z.string().nullable(),
    workflowId: z.string(),
  })
  .openapi("Enrollment");
export type Enrollment = z.infer<typeof Enrollment>;

export const TraceEntry = z
  .object({
    at: z.string(),
    stepId: z.string().nullable(),
    kind: z.string(),
    detail: z.record(z.string(), z.unknown()),
  })
  .openapi("TraceEntry");

const enrollmentColumns = {
  e: enrollments,
  journeyKey: journeys.key,
  accountExternalId: accounts.externalId,
};

type EnrollmentJoin = {
  e: typeof enrollments.$inferSelect;
  journeyKey: string;
  accountExternalId: string;
};

function toEnrollment(row: EnrollmentJoin): Enrollment {
  const e = row.e;
  return {
    id: e.id,
    journey: row.journeyKey,
    version: e.version,
    account: row.accountExternalId,
    status: e.status,
    currentStep: e.currentStep,
    trigger: e.trigger,
    entry: e.entry,
    enteredAt: e.enteredAt.toISOString(),
    finishedAt: e.finishedAt?.toISOString() ?? null,
    exitReason: e.exitReason,
    goalReachedAt: e.goalReachedAt?.toISOString() ?? null,
    workflowId: e.workflowId,
  };
}

export type EnrollOutcome =
  | { enrolled: true; enrollment: Enrollment }
  | { enrolled: false; reason: string; code: "not_found" | "not_live" | "refused" | "duplicate" };

/**
 * Enrolls an account in the latest version of a live journey: audience and re-entry rules first,
 * then one row (unique per journey, account and entry) and one workflow with a deterministic id,
 * so a duplicate trigger — concurrent or repeated — never makes a second run.
 */
export async function enroll(
  deps: RuntimeDeps,
  input: { workspaceId: string; journeyId: string; accountId: string; trigger: string; at?: Date },
): Promise<EnrollOutcome> {
  const { db } = deps;
  const at = input.at ?? new Date();
  const [journey] = await db
    .select()
    .from(journeys)
    .where(and(eq(journeys.workspaceId, input.workspaceId), eq(journeys.id, input.journeyId)));
  if (!journey) return { enrolled: false, code: "not_found", reason: "no such journey" };
  if ((journey.status !== "active" && journey.status !== "paused") || journey.latestVersion === null) {
    return {
      enrolled: false,
      code: "not_live",
      reason: `journey is ${journey.status}${journey.latestVersion === null ? " and unpublished" : ""}`,
    };
  }
  const [version] = await db
    .select()
    .from(journeyVersions)
    .where(
      and(eq(journeyVersions.journeyId, journey.id), eq(journeyVersions.version, journey.latestVersion)),
    );
  const [account] = await db
    .select()
    .from(accounts)
    .where(and(eq(accounts.workspaceId, input.workspaceId), eq(accounts.id, input.accountId)));
  if (!version || !account) return { enrolled: false, code: "not_found", reason: "no such account" };
  const definition = JourneyDefinition.parse(version.definition);

  const past = await db
    .select({
      enteredAt: enrollments.enteredAt,
      finishedAt: enrollments.finishedAt,
      entry: enrollments.entry,
    })
    .from(enrollments)
    .where(and(eq(enrollments.journeyId, journey.id), eq(enrollments.accountId, account.id)))
    .orderBy(asc(enrollments.entry));
  const facts = await loadFacts(db, input.workspaceId, account.id, at.toISOString());
  const decision = mayEnter(
    definition,
    { tier: account.tier, stage: account.lifecycleStage, facts },
    past.map((p) => ({
      enteredAt: p.enteredAt.toISOString(),
      finishedAt: p.finishedAt?.toISOString() ?? null,
    })),
    at.toISOString(),
  );
  if (!decision.enter) {
    return {
      enrolled: false,
      code: decision.reason === "already enrolled" ? "duplicate" : "refused",
      reason: decision.reason,
    };
  }

  const entry = (past.at(-1)?.entry ?? 0) + 1;
  const workflowId = journeyWorkflowId(input.workspaceId, journey.key, account.externalId, entry);
  const inserted = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(enrollments)
      .values({
        workspaceId: input.workspaceId,
        journeyId: journey.id,
        journeyVersionId: version.id,
        version: version.version,
        accountId: account.id,
        entry,
        workflowId,
        trigger: input.trigger,
        enteredAt: at,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) return null;
    const names = [...eventsOfInterest(definition)];
    if (names.length > 0) {
      await tx
        .insert(enrollmentListeners)
        .values(names.map((eventName) => ({ enrollmentId: row.id, accountId: account.id, eventName })))
        .onConflictDoNothing();
    }
    return row;
  });
  if (!inserted) return { enrolled: false, code: "duplicate", reason: "already enrolled" };

  try {
    await startEnrollmentRun(deps, inserted);
  } catch (err) {
    // A start that timed out may still have happened: then the run is this enrollment's.
    if ((await runOwner(deps, inserted.workflowId)) !== inserted.id) {
      // No run, no enrollment: the trigger may be retried.
      await db.delete(enrollments).where(eq(enrollments.id, inserted.id));
      if (err instanceof RunOfAnotherEnrollment)
        return { enrolled: false, code: "refused", reason: err.message };
      throw err;
    }
  }
  return {
    enrolled: true,
    enrollment: toEnrollment({ e: inserted, journeyKey: journey.key, accountExternalId: account.externalId }),
  };
}

/**
 * Starts the workflow of an enrollment row. An event routed since the row was written may have
 * started it already (see routeEventsToRuns): running, it is this run; closed, it ran and must not
 * run again.
 */
export async function startEnrollmentRun(
  deps: RuntimeDeps,
  row: { id: string; workspaceId: string; workflowId: string },
): Promise<void> {
  try {
    await deps.client.workflow.start<JourneyRunWorkflow>("journeyRun", {
      taskQueue: deps.taskQueue,
      workflowId: row.workflowId,
      args: [{ workspaceId: row.workspaceId, enrollmentId: row.id }],
      memo: { enrollmentId: row.id },
      workflowIdConflictPolicy: "USE_EXISTING",
      workflowIdReusePolicy: "REJECT_DUPLICATE",
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // A closed run under this id is this enrollment's only if it says so; one left by an enrollment
    // row that was deleted after an ambiguous start must not pass for this one.
    const owner = await runOwner(deps, row.workflowId);
    if (owner !== undefined && owner !== row.id) throw new RunOfAnotherEnrollment(row.workflowId, owner);
  }
}

class RunOfAnotherEnrollment extends Error {
  constructor(workflowId: string, owner: string) {
    super(`workflow ${workflowId} already ran for another enrollment (${owner}); it is not run again`);
  }
}

/** The enrollment a journey run was started for (its memo), or undefined when there is none. */
async function runOwner(deps: RuntimeDeps, workflowId: string): Promise<string | undefined> {
  try {
    const description = await deps.client.workflow.getHandle(workflowId).describe();
    const owner = description.memo?.enrollmentId;
    return typeof owner === "string" ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Live journeys (active or paused, published) whose trigger matches, via their latest version. */
async function journeysTriggeredBy(
  db: Db,
  workspaceId: string,
  trigger: Record<string, string | number>,
): Promise<{ id: string; definition: JourneyDefinition }[]> {
  const rows = await db
    .select({ id: journeys.id, definition: journeyVersions.definition })
    .from(journeys)
    .innerJoin(
      journeyVersions,
      and(eq(journeyVersions.journeyId, journeys.id), eq(journeyVersions.version, journeys.latestVersion)),
    )
    .where(
      and(
        eq(journeys.workspaceId, workspaceId),
        inArray(journeys.status, ["active", "paused"]),
        sql`${journeyVersions.definition}->'trigger' @> ${JSON.stringify(trigger)}::jsonb`,
      ),
    );
  return rows.map((r) => ({ id: r.id, definition: JourneyDefinition.parse(r.definition) }));
}

/** Enrolls many accounts in every live journey whose trigger contains `trigger` (journeys read once). */
export async function enrollAccountsWhereTriggered(
  deps: RuntimeDeps,
  workspaceId: string,
  accountIds: string[],
  trigger: Record<string, string>,
  label: string,
): Promise<number> {
  const matching = await journeysTriggeredBy(deps.db, workspaceId, trigger);
  let enrolled = 0;
  for (const j of matching) {
    for (const accountId of accountIds) {
      const outcome = await enroll(deps, { workspaceId, journeyId: j.id, accountId, trigger: label });
      if (outcome.enrolled) enrolled++;
    }
  }
  return enrolled;
}

/** Enrolls an account in every live journey whose trigger contains `trigger`. */
async function enrollWhereTriggered(
  deps: RuntimeDeps,
  workspaceId: string,
  accountId: string,
  trigger: Record<string, string>,
  label: string,
): Promise<EnrollOutcome[]> {
  const matching = await journeysTriggeredBy(deps.db, workspaceId, trigger);
  const outcomes: EnrollOutcome[] = [];
  for (const j of matching) {
    outcomes.push(await enroll(deps, { workspaceId, journeyId: j.id, accountId, trigger: label }));
  }
  return outcomes;
}

/** An account's lifecycle stage changed (API PATCH/PUT or a set_stage step): enroll stage_entered journeys. */
export function onStageEntered(
  deps: RuntimeDeps,
  workspaceId: string,
  accountId: string,
  stage: string,
): Promise<EnrollOutcome[]> {
  return enrollWhereTriggered(
    deps,
    workspaceId,
    accountId,
    { type: "stage_entered", stage },
    `stage_entered:${stage}`,
  );
}

/** The entry point health scoring calls when an account's band changes. */
export function onHealthBandEntered(
  deps: RuntimeDeps,
  workspaceId: string,
  accountId: string,
  band: "red" | "yellow" | "green",
): Promise<EnrollOutcome[]> {
  return enrollWhereTriggered(
    deps,
    workspaceId,
    accountId,
    { type: "health_band_entered", band },
    `health_band_entered:${band}`,
  );
}

/**
 * Routes newly stored events: signals the runs that listen for them (by the listener index, never a
 * broadcast; a message's outcome only to the enrollment that sent it), then enrolls accounts in
 * event-triggered journeys. Returns how many signals went out.
 */
export async function routeEventsToRuns(
  deps: RuntimeDeps,
  workspaceId: string,
  eventIds: string[],
): Promise<number> {
  if (eventIds.length === 0) return 0;
  const { db } = deps;
  const owner = sql`${events.properties}->>'enrollmentId'`;
  const deliveries = await db
    .select({
      enrollmentId: enrollments.id,
      workflowId: enrollments.workflowId,
      eventId: events.eventId,
      name: events.name,
      properties: events.properties,
    })
    .from(events)
    .innerJoin(
      enrollmentListeners,
      and(
        eq(enrollmentListeners.accountId, events.accountId),
        eq(enrollmentListeners.eventName, events.name),
      ),
    )
    .innerJoin(enrollments, eq(enrollments.id, enrollmentListeners.enrollmentId))
    .where(
      and(
        eq(events.workspaceId, workspaceId),
        inArray(events.id, eventIds),
        inArray(enrollments.status, ["active", "held"]),
        or(
          sql`${events.name} not in (${sql.join(
            MESSAGE_OUTCOME_EVENTS.map((n) => sql`${n}`),
            sql`, `,
          )})`,
          sql`${owner} is null`,
          sql`${owner} = ${enrollments.id}::text`,
        ),
      ),
    )
    .orderBy(asc(events.occurredAt));
  let signalled = 0;
  for (const d of deliveries) {
    try {
      // With start: an enrollment whose row is written but whose workflow is not started yet (enroll()
      // is between its transaction and workflow.start) gets its run now, with the event, instead of
      // losing it. The same id and input as enroll(), so its start finds this run.
      await deps.client.workflow.signalWithStart<JourneyRunWorkflow, [AccountEventSignal]>("journeyRun", {
        taskQueue: deps.taskQueue,
        workflowId: d.workflowId,
        args: [{ workspaceId, enrollmentId: d.enrollmentId }],
        memo: { enrollmentId: d.enrollmentId },
        signal: accountEventSignal,
        signalArgs: [{ eventId: d.eventId, name: d.name, properties: d.properties }],
        // A run that ever closed is never started again.
        workflowIdReusePolicy: "REJECT_DUPLICATE",
      });
      signalled++;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // The run closed since the index was read. Had it finished, its row would say so: a row still
      // open means the workflow failed or was terminated without recording it.
      await closeEnrollment(db, d.enrollmentId, "failed", "workflow_closed");
    }
  }

  const stored = await db
    .select({ accountId: events.accountId, name: events.name })
    .from(events)
    .where(and(eq(events.workspaceId, workspaceId), inArray(events.id, eventIds)))
    .groupBy(events.accountId, events.name);
  const names = [...new Set(stored.map((s) => s.name))];
  for (const name of names) {
    const matching = await journeysTriggeredBy(db, workspaceId, { type: "event", event: name });
    for (const j of matching) {
      for (const s of stored.filter((x) => x.name === name)) {
        await enroll(deps, {
          workspaceId,
          journeyId: j.id,
          accountId: s.accountId,
          trigger: `event:${name}`,
        });
      }
    }
  }
  return signalled;
}

/** Daily: accounts whose renewal window opened (renewal date within `daysBefore`) enter renewal journeys. */
export async function scanRenewalWindows(
  deps: RuntimeDeps,
  workspaceId: string,
  at: string,
): Promise<number> {
  const matching = await journeysTriggeredBy(deps.db, workspaceId, { type: "renewal_window" });
  const today = at.slice(0, 10);
  let enrolled = 0;
  for (const j of matching) {
    if (j.definition.trigger.type !== "renewal_window") continue;
    const candidates = await deps.db
      .select({ id: accounts.id })
      .from(accounts)
      .where(
        and(
          eq(accounts.workspaceId, workspaceId),
          sql`${accounts.renewalDate} > ${today}::date`,
          sql`${accounts.renewalDate} - ${j.definition.trigger.daysBefore}::int <= ${today}::date`,
          // Qualified by hand: drizzle leaves a single-table query's columns unqualified, and an
          // unqualified "id" inside the subquery would be the enrollment's own.
          sql`not exists (select 1 from ${enrollments} e where e.journey_id = ${j.id} and e.account_id = "accounts"."id" and e.status in ('active', 'held'))`,
        ),
      );
    for (const c of candidates) {
      const outcome = await enroll(deps, {
        workspaceId,
        journeyId: j.id,
        accountId: c.id,
        trigger: "renewal_window",
        at: new Date(at),
      });
      if (outcome.enrolled) enrolled++;
    }
  }
  return enrolled;
}

export const EnrollmentListQuery = z.object({
  journey: z.string().optional(),
  account: z.string().optional(),
  status: EnrollmentStatus.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().optional().openapi({ description: "`nextCursor` of the previous page" }),
});
export type EnrollmentListQuery = z.infer<typeof EnrollmentListQuery>;

/** Newest first, keyset-paginated on (entered_at, id). */
export async function listEnrollments(db: Db, workspaceId: string, query: EnrollmentListQuery) {
  const after = decodeTimeCursor(query.cursor);
  const rows = await db
    .select(enrollmentColumns)
    .from(enrollments)
    .innerJoin(journeys, eq(journeys.id, enrollments.journeyId))
    .innerJoin(accounts, eq(accounts.id, enrollments.accountId))
    .where(
      and(
        eq(enrollments.workspaceId, workspaceId),
        query.journey ? eq(journeys.key, query.journey) : undefined,
        query.account ? eq(accounts.externalId, query.account) : undefined,
        query.status ? eq(enrollments.status, query.status) : undefined,
        after
          ? or(
              lt(enrollments.enteredAt, after.at),
              and(eq(enrollments.enteredAt, after.at), lt(enrollments.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(enrollments.enteredAt), desc(enrollments.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (r) => [r.e.enteredAt.toISOString(), r.e.id], toEnrollment);
}

export async function getEnrollment(db: Db, workspaceId: string, id: string): Promise<Enrollment | null> {
  if (!isUuid(id)) return null;
  const [row] = await db
    .select(enrollmentColumns)
    .from(enrollments)
    .innerJoin(journeys, eq(journeys.id, enrollments.journeyId))
    .innerJoin(accounts, eq(accounts.id, enrollments.accountId))
    .where(and(eq(enrollments.workspaceId, workspaceId), eq(enrollments.id, id)));
  return row ? toEnrollment(row) : null;
}

export async function getTrace(db: Db, enrollmentId: string) {
  const rows = await db
    .select()
    .from(enrollmentTrace)
    .where(eq(enrollmentTrace.enrollmentId, enrollmentId))
    .orderBy(asc(enrollmentTrace.transition), asc(enrollmentTrace.position));
  return rows.map((r) => ({ at: r.at.toISOString(), stepId: r.stepId, kind: r.kind, detail: r.detail }));
}

/** Asks a run to leave its journey; a run whose workflow is gone is closed in the database. */
export async function exitEnrollment(
  deps: RuntimeDeps,
  enrollment: Enrollment,
  reason: string,
): Promise<void> {
  try {
    await deps.client.workflow.getHandle(enrollment.workflowId).signal(exitSignal, { reason });
  } catch (err) {
    if ((err as Error).name !== "WorkflowNotFoundError") throw err;
    await closeEnrollment(deps.db, enrollment.id, "exited", reason);
  }
}

/**
 * Closes an enrollment whose workflow is gone (failed, terminated, timed out) in the database: its
 * status, and no more listening for events. Finished enrollments are left as they are.
 */
export async function closeEnrollment(
  db: Db,
  enrollmentId: string,
  status: "exited" | "failed",
  reason: string,
  at = new Date(),
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const closed = await tx
      .update(enrollments)
      .set({ status, exitReason: reason, finishedAt: at })
      .where(and(eq(enrollments.id, enrollmentId), inArray(enrollments.status, ["active", "held"])))
      .returning({ id: enrollments.id });
    await tx.delete(enrollmentListeners).where(eq(enrollmentListeners.enrollmentId, enrollmentId));
    return closed.length > 0;
  });
}

/** Fans a journey's resume or archive out to its running enrollments. */
export async function signalJourneyRuns(
  deps: RuntimeDeps,
  journeyId: string,
  action: "resume" | "archive",
): Promise<number> {
  const rows = await deps.db
    .select({ id: enrollments.id, workflowId: enrollments.workflowId })
    .from(enrollments)
    .where(
      and(
        eq(enrollments.journeyId, journeyId),
        inArray(enrollments.status, action === "resume" ? ["held", "active"] : ["active", "held"]),
      ),
    );
  for (const r of rows) {
    const handle = deps.client.workflow.getHandle(r.workflowId);
    try {
      if (action === "resume") await handle.signal(resumeSignal);
      else await handle.signal(exitSignal, { reason: "journey_archived" });
    } catch (err) {
      if ((err as Error).name !== "WorkflowNotFoundError") throw err;
      // The workflow is gone without having closed its row: archived, the journey closes it.
      if (action === "archive") await closeEnrollment(deps.db, r.id, "exited", "journey_archived");
    }
  }
  return rows.length;
}
