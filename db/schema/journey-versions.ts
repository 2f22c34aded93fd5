import { integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id } from "./columns";
import { journeys } from "./journeys";
import { workspaces } from "./workspaces";

/**
 * A published, immutable journey version. Running enrollments stay on the version they entered with.
 * A database trigger (migration 0002) refuses UPDATE on this table.
 */
export const journeyVersions = pgTable(
  "journey_versions",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    journeyId: uuid("journey_id")
      .notNull()
      .references(() => journeys.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    /** The validated definition with defaults applied. */
    definition: jsonb("definition").$type<Record<string, unknown>>().notNull(),
    /** SHA-256 of the canonical JSON of `definition`. */
    checksum: text("checksum").notNull(),
    publishedAt: timestamp("published_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("journey_versions_journey_version_key").on(t.journeyId, t.version)],
);
