import { pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns";
import { workspaces } from "./workspaces";

export const templateChannels = ["email", "in_app"] as const;

/** A workspace's message template for one locale; overrides the file template of the same key. */
export const templates = pgTable(
  "templates",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    locale: text("locale").notNull().default("en"),
    channel: text("channel", { enum: templateChannels }).notNull(),
    category: text("category").notNull(),
    subject: text("subject"),
    body: text("body").notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex("templates_workspace_key_locale_key").on(t.workspaceId, t.key, t.locale)],
);
