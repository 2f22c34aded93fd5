import { index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns";
import { contacts } from "./contacts";
import { touches } from "./touches";
import { workspaces } from "./workspaces";

export const inAppStatuses = ["unseen", "seen", "clicked", "dismissed"] as const;

/** An in-app message waiting for (or shown to) one contact inside the customer's product. */
export const inAppMessages = pgTable(
  "in_app_messages",
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
    stepId: text("step_id").notNull(),
    template: text("template").notNull(),
    style: text("style", { enum: ["banner", "modal"] })
      .notNull()
      .default("banner"),
    title: text("title"),
    /** Rendered body as plain text (the widget sets it with textContent). */
    body: text("body").notNull(),
    ctaLabel: text("cta_label"),
    ctaUrl: text("cta_url"),
    status: text("status", { enum: inAppStatuses }).notNull().default("unseen"),
    seenAt: timestamp("seen_at", { withTimezone: true, mode: "date" }),
    clickedAt: timestamp("clicked_at", { withTimezone: true, mode: "date" }),
    dismissedAt: timestamp("dismissed_at", { withTimezone: true, mode: "date" }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("in_app_messages_touch_contact_key").on(t.touchId, t.contactId),
    index("in_app_messages_contact_status_idx").on(t.contactId, t.status),
  ],
);
