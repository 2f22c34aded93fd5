import { WorkflowExecutionAlreadyStartedError } from "@temporalio/client";
import { and, asc, eq, inArray, or, sql } from "drizzle-orm";
import { enrollmentListeners, enrollments, events } from "../../../db/schema/index";
import {
  type AccountEventSignal,
  accountEventSignal,
  type JourneyRunWorkflow,
  type RouteEventsInput,
  type RouteEventsWorkflow,
  routeEventsWorkflowId,
} from "../../../workflows/contracts";
import { MESSAGE_OUTCOME_EVENTS } from "../../../workflows/journey/interpreter";
import { enrollMany } from "../enrollments/enroll";
import { closeEnrollment, type RuntimeDeps } from "../enrollments/runtime";
import { journeysTriggeredBy } from "../enrollments/triggers";
import type { Services } from "../shared/services";
import { applyEventFacts } from "./ingest";
import { eventsOfBatches, finishRouting, idArray, unroutedBatchIds } from "./unrouted";

/** What starting a routing run needs: the API's and the CLI's services both fit. */
export type RoutingDeps = Pick<Services, "db" | "client" | "taskQueue" | "log">;

/** Batches whose routing never finished, to ride along with a new one. Never throws (logs, none). */
export function sweepUnrouted(deps: Pick<RoutingDeps, "db" | "log">, workspaceId: string): Promise<string[]> {
  return unroutedBatchIds(deps.db, workspaceId).catch((err: unknown) => {
    deps.log.error("could not read the events left unrouted; routing the new ones only", {
      workspaceId,
      error: err,
    });
    return [];
  });
}

/**
 * Starts the workflow that routes newly stored batches of events (facts, runs, triggers), by their
 * unrouted_batches ids. Batches whose routing never finished (Temporal was away) ride along: `swept`
 * when the caller read them already (sweepUnrouted), else read here. Never throws: the events are
 * stored and routing can be replayed from them, so a failure is logged and null returned.
 */
export async function startRouting(
  deps: RoutingDeps,
  workspaceId: string,
  batchIds: string[],
  swept?: string[],
): Promise<{ workflowId: string } | null> {
  swept ??= await sweepUnrouted(deps, workspaceId);
  const fresh = new Set(batchIds);
  const ids = [...batchIds, ...swept.filter((id) => !fresh.has(id))];
  const first = ids[0];
  if (!first) return null;
  const workflowId = routeEventsWorkflowId(workspaceId, first);
  try {
    await deps.client.workflow.start<RouteEventsWorkflow>("routeEvents", {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [{ workspaceId, eventIds: [], batchIds: ids }],
    });
    return { workflowId };
  } catch (err) {
    // Another process (an API catching up at the same start) routes this very batch already.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId };
    deps.log.error("could not start event routing", { workflowId, error: err });
    return null;
  }
}

/**
 * Routes stored batches (the route-events workflow's one activity): folds their events into account
 * facts, signals and enrolls runs, then deletes the batches (the sweep's list). A batch already
 * deleted was routed by another run and is skipped. Returns how many accounts' facts were updated.
 */
export async function routeStoredEvents(
  deps: RuntimeDeps & Partial<Pick<Services, "metrics">>,
  { workspaceId, eventIds: named, batchIds = [] }: RouteEventsInput,
): Promise<number> {
  const eventIds = [...new Set([...named, ...(await eventsOfBatches(deps.db, workspaceId, batchIds))])];
  const updated = await applyEventFacts(deps.db, workspaceId, eventIds);
  await routeEventsToRuns(deps, workspaceId, eventIds);
  for (const lag of await finishRouting(deps.db, workspaceId, batchIds, named))
    deps.metrics?.eventRoutingLag.observe(lag);
  return updated;
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
        sql`${events.id} = any(${idArray(eventIds)})`,
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
      await closeEnrollment(db, d.enrollmentId, "failed", "workflow_closed", deps.clock.now());
    }
  }

  // The workspace's event-triggered journeys in one read, not one a name; none (the usual case for
  // a batch of usage events) spares reading the batch's accounts.
  const triggered = await journeysTriggeredBy(db, workspaceId, { type: "event" });
  if (triggered.length === 0) return signalled;
  const stored = await db
    .select({ accountId: events.accountId, name: events.name })
    .from(events)
    .where(and(eq(events.workspaceId, workspaceId), sql`${events.id} = any(${idArray(eventIds)})`))
    .groupBy(events.accountId, events.name);
  const names = [...new Set(stored.map((s) => s.name))];
  for (const name of names) {
    const matching = triggered.filter(
      (j) => j.definition.trigger.type === "event" && j.definition.trigger.event === name,
    );
    const accountIds = stored.filter((x) => x.name === name).map((x) => x.accountId);
    for (const j of matching) {
      await enrollMany(deps, { workspaceId, journeyId: j.id, accountIds, trigger: `event:${name}` });
    }
  }
  return signalled;
}
