import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, csms } from "../../../db/schema/index";

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

/** A contact as contactsSql reads it. */
type ContactJson = Omit<Person, "suppressed" | "id"> & { id: string; suppressed: string[] };

/** The role `to` names (`role:<role>`); undefined for every contact or the owner CSM. */
function roleOf(to: string): string | undefined {
  return to.startsWith("role:") ? to.slice("role:".length) : undefined;
}

/**
 * The contacts of the account in a select from `accounts` (qualified by hand, as in facts.ts), each
 * with its unsubscribes, as one jsonb array in external id order: every contact, or those of `roles`.
 */
export function contactsSql(roles: string[] | "all" | SQL): SQL<ContactJson[]> {
  // An SQL `roles` is a jsonb array of roles, or null for every contact (a prepared statement's parameter).
  const ofRoles =
    roles === "all"
      ? sql``
      : Array.isArray(roles)
        ? sql` and c.role in ${roles}`
        : sql` and (${roles} is null or ${roles} ? c.role)`;
  return sql<ContactJson[]>`(select coalesce(jsonb_agg(jsonb_build_object(
      'id', c.id, 'email', c.email, 'name', c.name, 'role', c.role, 'locale', c.locale,
      'timezone', c.timezone, 'attributes', c.attributes,
      'suppressed', coalesce((select jsonb_agg(s.category) from suppressions s where s.contact_id = c.id), '[]'::jsonb)
    ) order by c.external_id), '[]'::jsonb)
    from contacts c where c.account_id = "accounts"."id"${ofRoles})`;
}

/** The contacts a set of `to`s needs read: every one, some roles, or none (only the owner CSM). */
export function contactsNeeded(tos: string[]): string[] | "all" {
  const contactTos = tos.filter((to) => to !== "owner_csm");
  if (contactTos.some((to) => roleOf(to) === undefined)) return "all";
  return [...new Set(contactTos.map((to) => roleOf(to) as string))];
}

/**
 * The people `to` names (`owner_csm`, `role:<role>`, or every contact) among the account's contacts
 * read with contactsSql (a superset: every contact, or those of the roles asked for).
 */
export function peopleFor(account: Account, contacts: ContactJson[], to: string): Person[] {
  if (to === "owner_csm") return ownerCsmPerson(account);
  const role = roleOf(to);
  return contacts
    .filter((c) => role === undefined || c.role === role)
    .map((c) => ({ ...c, suppressed: new Set(c.suppressed) }));
}

function ownerCsmPerson(account: Account): Person[] {
  if (!account.ownerCsm) return [];
  const csm = { name: null, role: null, locale: null, timezone: null, attributes: {} };
  return [{ id: null, email: account.ownerCsm, ...csm }];
}

/** The people `to` names (`owner_csm`, `role:<role>`, or every contact), each with its unsubscribes, in one query. */
export async function recipients(db: Db, account: Account, to: string): Promise<Person[]> {
  if (to === "owner_csm") return ownerCsmPerson(account);
  const role = roleOf(to);
  const [row] = await db
    .select({ contacts: contactsSql(role ? [role] : "all") })
    .from(accounts)
    .where(eq(accounts.id, account.id));
  return peopleFor(account, row?.contacts ?? [], to);
}

export type OwnerCsm = { name: string | null; email: string };

/** The owner CSM's name from the CSM directory, in a select from `accounts`. */
export function ownerCsmNameSql(): SQL<string | null> {
  return sql<
    string | null
  >`(select c.name from csms c where c.workspace_id = "accounts"."workspace_id" and c.email = "accounts"."owner_csm" limit 1)`;
}

/** The account's owner CSM, with the name from the CSM directory when it has one. */
export async function ownerCsmOf(db: Db, account: Account): Promise<OwnerCsm | null> {
  if (!account.ownerCsm) return null;
  const [csm] = await db
    .select({ name: csms.name })
    .from(csms)
    .where(and(eq(csms.workspaceId, account.workspaceId), eq(csms.email, account.ownerCsm)));
  return { name: csm?.name ?? null, email: account.ownerCsm };
}
