import { index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id } from "./columns";
import { contacts } from "./contacts";
import { touches } from "./touches";
import { workspaces } from "./workspaces";

/**
 * One message to one contact (email or in-app), across every journey: what the frequency cap
 * counts, and per touch which recipients are done (a retried or deferred touch skips them).
 */
export const contactSends = pgTable(
  "contact_sends",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    touchId: uuid("touch_id")
      .notNull()
      .references(() => touches.id, { onDelete: "cascade" }),
    channel: text("channel", { enum: ["email", "in_app"] }).notNull(),
    category: text("category").notNull(),
    /** `pending` while the send is on its way (decision 0014), `sent`, or `failed` with the server's reply. */
    status: text("status", { enum: ["pending", "sent", "failed"] }).notNull(),
    reason: text("reason"),
    messageId: text("message_id"),
    sentAt: timestamp("sent_at", { withTimezone: true, mode: "date" }).notNull(),
    /** When an attempt took the pending reservation: a lease, so a live attempt is never doubled. */
    reservedAt: timestamp("reserved_at", { withTimezone: true, mode: "date" }).defaultNow(),
    /**
     * The attempt of the heartbeated delivery activity that holds the pending reservation; null when a
     * local activity took it (its lease is the only proof the holder is gone). Decision 0043.
     */
    attempt: integer("attempt"),
  },
  (t) => [
    uniqueIndex("contact_sends_touch_contact_key").on(t.touchId, t.contactId),
    index("contact_sends_contact_time_idx").on(t.contactId, t.sentAt),
  ],
);
