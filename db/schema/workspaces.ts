import { jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns";

export const workspaces = pgTable("workspaces", {
  id: id(),
  name: text("name").notNull(),
  /** Workspace settings (validated by apps/core/settings.ts); {} means every default. */
  settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
  ...timestamps,
});
