import { boolean, index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns";
import { workspaces } from "./workspaces";

/** The roles of people and API keys, weakest first (apps/core/workspace/roles.ts orders them). */
export const ROLES = ["viewer", "csm", "cs_ops", "admin"] as const;

/** People who sign in to the console; the password is an scrypt hash, null until an invitation is accepted. */
export const users = pgTable(
  "users",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    /** Lower-cased, so one address is one person in a workspace whatever its spelling. */
    email: text("email").notNull(),
    name: text("name").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    passwordHash: text("password_hash"),
    /** `en` or `ja`: the console's language once the person chose one; null follows the browser. */
    locale: text("locale"),
    timezone: text("timezone"),
    disabled: boolean("disabled").notNull().default(false),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("users_workspace_email_key").on(t.workspaceId, t.email),
    index("users_email_idx").on(t.email),
  ],
);
