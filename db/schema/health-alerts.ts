import { index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";
import { id } from "./columns";
import { workspaces } from "./workspaces";

/** An account's health crossed into another band; raised once per transition, then notified. */
export const healthAlerts = pgTable(
  "health_alerts",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    fromBand: text("from_band", { enum: ["red", "yellow", "green"] }).notNull(),
    toBand: text("to_band", { enum: ["red", "yellow", "green"] }).notNull(),
    score: integer("score").notNull(),
    raisedAt: timestamp("raised_at", { withTimezone: true, mode: "date" }).notNull(),
    /** When the notification (webhook) went out; null while pending or when none is configured. */
    notifiedAt: timestamp("notified_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    index("health_alerts_workspace_time_idx").on(t.workspaceId, t.raisedAt),
    // One alert per account per health run, however often the run is retried.
    uniqueIndex("health_alerts_account_run_key").on(t.accountId, t.raisedAt),
  ],
);
