import { index, pgTable, timestamp, uuid } from "drizzle-orm/pg-core";
import { id } from "./columns";
import { workspaces } from "./workspaces";

/**
 * Stored events whose routing has not finished, one row per stored batch, written in the statement
 * that stores the events: a process dying before it starts the routing leaves the row, and the sweep
 * finds it. Routing deletes the row (one row a batch) instead of marking each event, which wrote
 * every event a second time.
 */
export const unroutedBatches = pgTable(
  "unrouted_batches",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    /** events.id of the batch's new events (no foreign key: erasing an event must not wait on it). */
    eventIds: uuid("event_ids").array().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("unrouted_batches_workspace_created_idx").on(t.workspaceId, t.createdAt)],
);
