import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns";
import { workspaces } from "./workspaces";

export const journeyStatuses = ["draft", "active", "paused", "archived"] as const;

/** A journey: its editable draft and lifecycle status; published versions live in journey_versions. */
export const journeys = pgTable(
  "journeys",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    name: text("name").notNull(),
    status: text("status", { enum: journeyStatuses }).notNull().default("draft"),
    /** The definition as last saved: schema-shaped, not necessarily valid. */
    draft: jsonb("draft").$type<Record<string, unknown>>().notNull(),
    latestVersion: integer("latest_version"),
    archivedAt: timestamp("archived_at", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("journeys_workspace_key_key").on(t.workspaceId, t.key),
    index("journeys_workspace_status_idx").on(t.workspaceId, t.status),
  ],
);
