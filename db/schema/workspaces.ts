import { pgTable, text } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns";

export const workspaces = pgTable("workspaces", {
  id: id(),
  name: text("name").notNull(),
  ...timestamps,
});
