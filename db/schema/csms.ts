import { integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
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
    ...timestamps,
  },
  (t) => [uniqueIndex("csms_workspace_email_key").on(t.workspaceId, t.email)],
);
