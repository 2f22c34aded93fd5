import { index, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";
import { id, timestamps } from "./columns";
import { workspaces } from "./workspaces";

export const contactRoles = ["admin", "champion", "decision_maker", "user"] as const;

/** A person at a customer account who receives touches. */
export const contacts = pgTable(
  "contacts",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    accountId: uuid("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    externalId: text("external_id").notNull(),
    email: text("email").notNull(),
    name: text("name"),
    role: text("role", { enum: contactRoles }).notNull().default("user"),
    locale: text("locale").notNull().default("en"),
    timezone: text("timezone"),
    attributes: jsonb("attributes").$type<Record<string, unknown>>().notNull().default({}),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("contacts_account_external_id_key").on(t.accountId, t.externalId),
    index("contacts_workspace_email_idx").on(t.workspaceId, t.email),
  ],
);
