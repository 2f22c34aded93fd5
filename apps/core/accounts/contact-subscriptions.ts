import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { contacts, suppressions } from "../../../db/schema/index";

/** Every category (`*` in suppressions): the contact unsubscribed from everything. */
export const ALL_CATEGORIES = "*";

export type ContactSubscription = {
  externalId: string;
  email: string;
  name: string | null;
  role: string;
  /** The categories the contact unsubscribed from (`*`: all of them), alphabetically. */
  unsubscribed: string[];
};

/** An account's contacts (at most `limit`, by name) with what each unsubscribed from. */
export async function contactSubscriptions(
  db: Db,
  workspaceId: string,
  accountId: string,
  limit = 100,
): Promise<ContactSubscription[]> {
  const rows = await db
    .select({
      id: contacts.id,
      externalId: contacts.externalId,
      email: contacts.email,
      name: contacts.name,
      role: contacts.role,
    })
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.accountId, accountId)))
    .orderBy(asc(contacts.name), asc(contacts.externalId))
    .limit(limit);
  if (rows.length === 0) return [];
  const opted = await db
    .select({ contactId: suppressions.contactId, category: suppressions.category })
    .from(suppressions)
    .where(
      and(
        eq(suppressions.workspaceId, workspaceId),
        inArray(
          suppressions.contactId,
          rows.map((r) => r.id),
        ),
      ),
    )
    .orderBy(asc(suppressions.category));
  return rows.map(({ id, ...contact }) => ({
    ...contact,
    unsubscribed: opted.filter((o) => o.contactId === id).map((o) => o.category),
  }));
}
