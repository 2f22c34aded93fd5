import { sql } from "drizzle-orm";
import { jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns";

export const workspaces = pgTable(
  "workspaces",
  {
    id: id(),
    name: text("name").notNull(),
    /** Workspace settings (validated by apps/core/settings.ts); {} means every default. */
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
    /** What customers see of the workspace (apps/core/workspace/identity.ts); {} means none set yet. */
    identity: jsonb("identity").$type<Record<string, unknown>>().notNull().default({}),
    /** Public: identifies the workspace to the in-app widget on a customer's page. */
    publishableKey: text("publishable_key")
      .notNull()
      .default(sql`'pk_' || replace(gen_random_uuid()::text, '-', '')`),
    /** Secret: signs unsubscribe and tracking links, and verifies contact HMACs from the widget. */
    signingSecret: text("signing_secret")
      .notNull()
      .default(sql`replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')`),
    ...timestamps,
  },
  (t) => [uniqueIndex("workspaces_publishable_key").on(t.publishableKey)],
);
