import { boolean, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";
import { id, timestamps } from "./columns";
import { enrollments } from "./enrollments";
import { workspaces } from "./workspaces";

export const escalationStatuses = ["open", "acknowledged", "resolved"] as const;
export const escalationPriorities = ["low", "medium", "high", "urgent"] as const;

/** An account handed to a human CSM by a journey's escalate step, with its deadline. */
export const escalations = pgTable(
  "escalations",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    enrollmentId: uuid("enrollment_id")
      .notNull()
      .references(() => enrollments.id, { onDelete: "cascade" }),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** `<stepId>:<visit>`: the escalation's identity within its enrollment (idempotency). */
    escalationKey: text("escalation_key").notNull(),
    stepId: text("step_id").notNull(),
    reason: text("reason").notNull(),
    priority: text("priority", { enum: escalationPriorities }).notNull(),
    sla: text("sla").notNull(),
    dueAt: timestamp("due_at", { withTimezone: true, mode: "date" }).notNull(),
    assignee: text("assignee"),
    /** Whether the journey waits for the resolution. */
    holdsJourney: boolean("holds_journey").notNull(),
    status: text("status", { enum: escalationStatuses }).notNull().default("open"),
    outcome: text("outcome", { enum: ["resume", "exit"] }),
    /** The CSM's label for what happened (e.g. saved, upsell); journeys branch on it. */
    resolution: text("resolution"),
    notes: text("notes"),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true, mode: "date" }),
    /** When the SLA passed unresolved and the escalation was raised. */
    breachedAt: timestamp("breached_at", { withTimezone: true, mode: "date" }),
    remindedAt: timestamp("reminded_at", { withTimezone: true, mode: "date" }),
    resolvedAt: timestamp("resolved_at", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("escalations_enrollment_key").on(t.enrollmentId, t.escalationKey),
    index("escalations_inbox_idx").on(t.workspaceId, t.status, t.dueAt),
  ],
);
