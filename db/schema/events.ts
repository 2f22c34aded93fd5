import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";
import { id } from "./columns";
import { contacts } from "./contacts";
import { workspaces } from "./workspaces";

/** Product usage and engagement events; `eventId` is the sender's id and makes ingestion idempotent. */
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
    /** When routing (facts folded, listening runs signalled) finished; null until then. */
    routedAt: timestamp("routed_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    uniqueIndex("events_workspace_event_id_key").on(t.workspaceId, t.eventId),
    index("events_account_name_occurred_idx").on(t.accountId, t.name, t.occurredAt),
    // Small: only events whose routing has not finished (Temporal was away, a worker died).
    index("events_unrouted_idx").on(t.workspaceId, t.receivedAt).where(sql`${t.routedAt} is null`),
  ],
);
