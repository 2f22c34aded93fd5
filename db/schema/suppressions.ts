import { pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns";
import { contacts } from "./contacts";
import { workspaces } from "./workspaces";

/** A contact opted out of a template category, or of everything (`*`); the arbiter reads it. */
export const suppressions = pgTable(
  "suppressions",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    category: text("category").notNull(),
    /**
     * How it happened: the preferences page, a one-click List-Unsubscribe POST, the API, or carried
     * over from an erased contact with the same address (erased_addresses).
     */
    source: text("source", { enum: ["page", "one_click", "api", "erased_address"] }).notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex("suppressions_contact_category_key").on(t.contactId, t.category)],
);
