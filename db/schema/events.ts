import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";
import { id } from "./columns";
import { contacts } from "./contacts";
import { workspaces } from "./workspaces";

/**
 * Product usage and engagement events; `eventId` is the sender's id and makes ingestion idempotent.
 * Whether an event is routed yet is kept per batch in unrouted_batches, so storing is the one write.
 */
export const events = pgTable(
  "events",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    eventId: text("event_id").notNull(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id").references(() => contacts.id, { onDelete: "set null" }),
    name: text("name").notNull(),
    occurredAt: timestamp("occurred_at", { withTimezone: true, mode: "date" }).notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    properties: jsonb("properties").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    uniqueIndex("events_workspace_event_id_key").on(t.workspaceId, t.eventId),
    index("events_account_name_occurred_idx").on(t.accountId, t.name, t.occurredAt),
  ],
);
