import { jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, timestamps } from "./columns";
import { workspaces } from "./workspaces";

/**
 * What survives an erased contact's unsubscribes: a keyed hash of the address (HMAC-SHA256 under the
 * workspace's signing secret), never the address, and the categories it had left. A contact saved
 * later with that address gets the same unsubscribes back (apps/core/accounts/erasure.ts).
 */
export const erasedAddresses = pgTable(
  "erased_addresses",
  {
    id: id(),
    workspaceId: uuid("workspace_id")
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    addressHash: text("address_hash").notNull(),
    categories: jsonb("categories").$type<string[]>().notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex("erased_addresses_workspace_hash_key").on(t.workspaceId, t.addressHash)],
);
