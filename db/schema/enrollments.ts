import { sql } from "drizzle-orm";
import {
  bigint,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { accounts } from "./accounts";
import { id, timestamps } from "./columns";
import { journeyVersions } from "./journey-versions";
import { journeys } from "./journeys";
import { workspaces } from "./workspaces";

export const enrollmentStatuses = ["active", "held", "completed", "exited", "failed"] as const;

/** One account's run through one journey version; its Temporal workflow id is deterministic. */
export const enrollments = pgTable(
  "enrollments",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    journeyId: uuid("journey_id")
      .notNull()
      .references(() => journeys.id, { onDelete: "cascade" }),
    journeyVersionId: uuid("journey_version_id")
      .notNull()
      .references(() => journeyVersions.id),
    version: integer("version").notNull(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** 1 for the first enrollment of this account in this journey, 2 for a re-entry… */
    entry: integer("entry").notNull(),
    workflowId: text("workflow_id").notNull(),
    trigger: text("trigger").notNull(),
    status: text("status", { enum: enrollmentStatuses }).notNull().default("active"),
    currentStep: text("current_step"),
    enteredAt: timestamp("entered_at", { withTimezone: true, mode: "date" }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    exitReason: text("exit_reason"),
    goalReachedAt: timestamp("goal_reached_at", { withTimezone: true, mode: "date" }),
    /** Paused on its own (bulk pause): its touches hold, as a paused journey's do, until resumed. */
    pausedAt: timestamp("paused_at", { withTimezone: true, mode: "date" }),
    /** Triggered while Temporal was away: its workflow is started when Temporal is back (startAwaitingRuns). */
    awaitingRunSince: timestamp("awaiting_run_since", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("enrollments_journey_account_entry_key").on(t.journeyId, t.accountId, t.entry),
    uniqueIndex("enrollments_workflow_id_key").on(t.workflowId),
    index("enrollments_workspace_status_idx").on(t.workspaceId, t.status),
    index("enrollments_account_idx").on(t.accountId),
    index("enrollments_awaiting_run_idx")
      .on(t.awaitingRunSince)
      .where(sql`${t.awaitingRunSince} is not null`),
  ],
);

/** The decision trace: every step entered, decision taken, touch sent or held, and why. */
export const enrollmentTrace = pgTable(
  "enrollment_trace",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    enrollmentId: uuid("enrollment_id")
      .notNull()
      .references(() => enrollments.id, { onDelete: "cascade" }),
    /** The run's transition number and the entry's place in it: a retried activity writes nothing twice. */
    transition: integer("transition").notNull(),
    position: integer("position").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
    stepId: text("step_id"),
    kind: text("kind").notNull(),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [uniqueIndex("enrollment_trace_position_key").on(t.enrollmentId, t.transition, t.position)],
);

/** Which event names each running enrollment listens to: events are signalled only where they matter. */
export const enrollmentListeners = pgTable(
  "enrollment_listeners",
  {
    enrollmentId: uuid("enrollment_id")
      .notNull()
      .references(() => enrollments.id, { onDelete: "cascade" }),
    accountId: uuid("account_id").notNull(),
    eventName: text("event_name").notNull(),
  },
  (t) => [
    uniqueIndex("enrollment_listeners_key").on(t.enrollmentId, t.eventName),
    index("enrollment_listeners_route_idx").on(t.accountId, t.eventName),
  ],
);
