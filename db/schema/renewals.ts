import { date, numeric, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accounts, tiers } from "./accounts";
import { id, timestamps } from "./columns";
import { workspaces } from "./workspaces";

export const renewalOutcomes = ["renewed", "expanded", "contracted", "churned"] as const;

/** What happened when an account's contract came up for renewal: the ground truth of GRR and NRR. */
export const renewals = pgTable(
  "renewals",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** The contract's renewal date: which period the outcome counts in. */
    renewalDate: date("renewal_date", { mode: "string" }).notNull(),
    /** The account's tier when it renewed (tiers change; reports must not). */
    tier: text("tier", { enum: tiers }).notNull(),
    outcome: text("outcome", { enum: renewalOutcomes }).notNull(),
    arrBefore: numeric("arr_before", { precision: 14, scale: 2, mode: "number" }).notNull(),
    arrAfter: numeric("arr_after", { precision: 14, scale: 2, mode: "number" }).notNull(),
    notes: text("notes"),
    ...timestamps,
  },
  (t) => [uniqueIndex("renewals_account_date_key").on(t.accountId, t.renewalDate)],
);
