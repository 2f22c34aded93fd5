import { boolean, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns";
import { workspaces } from "./workspaces";

/** Customer Success Managers who own accounts and work escalations. */
export const csms = pgTable(
  "csms",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    name: text("name"),
    capacity: integer("capacity"),
    tiers: jsonb("tiers").$type<string[]>().notNull().default([]),
    active: boolean("active").notNull().default(true),
    /** Language of the CSM's emails (`en` | `ja`); null: the workspace's default, `en`. */
    locale: text("locale"),
    /** IANA zone every time in the CSM's emails is shown in; null: settings `delivery.defaultTimezone`. */
    timezone: text("timezone"),
    /** For round robin: who got an escalation least recently goes first. */
    lastAssignedAt: timestamp("last_assigned_at", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (t) => [uniqueIndex("csms_workspace_email_key").on(t.workspaceId, t.email)],
);
