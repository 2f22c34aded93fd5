import { bigint, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";
import { timestamps } from "./columns";
import { workspaces } from "./workspaces";

/** A workspace's health scorecard (validated JSON); absent means the default scorecard. */
export const healthScorecards = pgTable("health_scorecards", {
  workspaceId: uuid("workspace_id")
    .primaryKey()
    .references(() => workspaces.id, { onDelete: "cascade" }),
  scorecard: jsonb("scorecard").$type<Record<string, unknown>>().notNull(),
  ...timestamps,
});

/**
 * Health as a line, not a point: one row per account per scoring run. Unique per run time, so a
 * retried run writes its rows once.
 */
export const accountHealth = pgTable(
  "account_health",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    computedAt: timestamp("computed_at", { withTimezone: true, mode: "date" }).notNull(),
    score: integer("score").notNull(),
    band: text("band", { enum: ["red", "yellow", "green"] }).notNull(),
    /** Each measure's raw value and 0–100 score, by measure key. */
    measures: jsonb("measures").$type<Record<string, { value: number; score: number }>>().notNull(),
  },
  (t) => [uniqueIndex("account_health_account_time_key").on(t.accountId, t.computedAt)],
);
