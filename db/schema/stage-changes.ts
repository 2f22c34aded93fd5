import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { accounts, lifecycleStages } from "./accounts";
import { id } from "./columns";
import { workspaces } from "./workspaces";

/** Every stage an account entered after its first (the account's timeline reads them). */
export const stageChanges = pgTable(
  "stage_changes",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    fromStage: text("from_stage", { enum: lifecycleStages }).notNull(),
    toStage: text("to_stage", { enum: lifecycleStages }).notNull(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("stage_changes_account_at_idx").on(t.accountId, t.at)],
);
