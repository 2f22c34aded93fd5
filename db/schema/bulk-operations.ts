import { index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns";
import { journeys } from "./journeys";
import { workspaces } from "./workspaces";

export const bulkOperationKinds = ["enroll", "pause", "resume", "exit", "backfill"] as const;
export const bulkOperationStatuses = ["queued", "running", "completed", "failed"] as const;

/**
 * A bulk action or a backfill too large to answer in its request: run by a Temporal workflow in
 * batches, which writes its progress here after each one.
 */
export const bulkOperations = pgTable(
  "bulk_operations",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: bulkOperationKinds }).notNull(),
    journeyId: uuid("journey_id")
      .notNull()
      .references(() => journeys.id, { onDelete: "cascade" }),
    /** What was asked: the bulk filter and exit reason, or the journey version a backfill fills. */
    request: jsonb("request").$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: bulkOperationStatuses }).notNull().default("queued"),
    /** Accounts (enroll, backfill) or enrollments (pause, resume, exit) matched when it was accepted. */
    total: integer("total").notNull(),
    done: integer("done").notNull().default(0),
    changed: integer("changed").notNull().default(0),
    skipped: jsonb("skipped").$type<Record<string, number>>().notNull().default({}),
    error: text("error"),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (t) => [index("bulk_operations_workspace_created_idx").on(t.workspaceId, t.createdAt)],
);
