import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { type accounts, contacts, csms } from "../../../db/schema/index";

type Account = typeof accounts.$inferSelect;

/** Someone a touch is addressed to: a contact of the account, or its owner CSM. */
export type Person = {
  /** Null for the owner CSM (not a contact: no unsubscribes, no tracking, no reservation). */
  id: string | null;
  email: string;
  name: string | null;
  role: string | null;
  locale: string | null;
  timezone: string | null;
  attributes: Record<string, unknown>;
  /** The categories the contact unsubscribed from ("*" for all). */
  suppressed?: Set<string>;
};

/** The people `to` names (`owner_csm`, `role:<role>`, or every contact), each with its unsubscribes, in one query. */
export async function recipients(db: Db, account: Account, to: string): Promise<Person[]> {
  if (to === "owner_csm") {
    return account.ownerCsm
      ? [
          {
            id: null,
            email: account.ownerCsm,
            name: null,
            role: null,
            locale: null,
            timezone: null,
            attributes: {},
          },
        ]
      : [];
  }
  const role = to.startsWith("role:") ? to.slice("role:".length) : undefined;
  const rows = await db
    .select({
      contact: contacts,
      // Qualified by hand: in a one-table select drizzle leaves the outer column unqualified.
      suppressed: sql<
        string[]
      >`coalesce((select jsonb_agg(s.category) from suppressions s where s.contact_id = "contacts"."id"), '[]'::jsonb)`,
    })
    .from(contacts)
    .where(
      and(
        eq(contacts.accountId, account.id),
        role ? eq(contacts.role, role as typeof contacts.$inferSelect.role) : undefined,
      ),
    )
    .orderBy(asc(contacts.externalId));
  return rows.map(({ contact: c, suppressed }) => ({
    id: c.id,
    email: c.email,
    name: c.name,
    role: c.role,
    locale: c.locale,
    attributes: c.attributes,
    timezone: c.timezone,
    suppressed: new Set(suppressed),
  }));
}

export type OwnerCsm = { name: string | null; email: string };

/** The account's owner CSM, with the name from the CSM directory when it has one. */
export async function ownerCsmOf(db: Db, account: Account): Promise<OwnerCsm | null> {
  if (!account.ownerCsm) return null;
  const [csm] = await db
    .select({ name: csms.name })
    .from(csms)
    .where(and(eq(csms.workspaceId, account.workspaceId), eq(csms.email, account.ownerCsm)));
  return { name: csm?.name ?? null, email: account.ownerCsm };
}
