import { and, asc, eq, getTableColumns, gt, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { contactRoles, contacts } from "../../../db/schema/index";
import { EmailAddress } from "../shared/addresses";
import { decodeCursor, MAX_ATTRIBUTES_PAGE, toPage } from "../shared/pagination";
import {
  Attributes,
  attributesProblem,
  ExternalIdCursor,
  storableText,
  TimeZone,
} from "../shared/validators";
import { findAccountRow } from "./accounts";
import { restoreUnsubscribes } from "./erased-addresses";

export const ContactRole = z.enum(contactRoles).meta({ id: "ContactRole" });

const contactFields = {
  email: EmailAddress,
  name: z.string().trim().min(1).max(300).nullable().optional(),
  role: ContactRole.default("user"),
  locale: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "must be a BCP 47 language tag such as en or ja-JP")
    .default("en"),
  timezone: TimeZone.nullable().optional(),
  attributes: Attributes.default({}),
};

/** Body of PUT /v1/accounts/{externalId}/contacts/{contactExternalId}: the whole contact. */
export const ContactInput = storableText(z.strictObject(contactFields)).meta({ id: "ContactInput" });
export type ContactInput = z.infer<typeof ContactInput>;

/** Body of PATCH of a contact: any subset; `attributes` are merged key by key. */
export const ContactPatch = storableText(
  z.strictObject({
    email: contactFields.email.optional(),
    name: contactFields.name,
    role: ContactRole.optional(),
    locale: contactFields.locale.removeDefault().optional(),
    timezone: contactFields.timezone,
    attributes: Attributes.optional(),
  }),
).meta({ id: "ContactPatch" });
export type ContactPatch = z.infer<typeof ContactPatch>;

export const Contact = z
  .object({
    externalId: z.string(),
    account: z.string().meta({ description: "externalId of the account" }),
    email: z.string(),
    name: z.string().nullable(),
    role: ContactRole,
    locale: z.string(),
    timezone: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Contact" });
export type Contact = z.infer<typeof Contact>;

type ContactRow = typeof contacts.$inferSelect;

function toContact(row: ContactRow, accountExternalId: string): Contact {
  return {
    externalId: row.externalId,
    account: accountExternalId,
    email: row.email,
    name: row.name,
    role: row.role,
    locale: row.locale,
    timezone: row.timezone,
    attributes: row.attributes,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export type AccountRef = { id: string; workspaceId: string; externalId: string };

/**
 * Creates or replaces a contact. A new address (a new contact, or a changed email) gets back the
 * unsubscribes of an erased contact that had it; an unchanged one keeps what its person chose since.
 */
export async function upsertContact(
  db: Db,
  account: AccountRef,
  externalId: string,
  input: ContactInput,
  at: Date,
): Promise<{ contact: Contact; created: boolean }> {
  const values = {
    email: input.email,
    name: input.name ?? null,
    role: input.role,
    locale: input.locale,
    timezone: input.timezone ?? null,
    attributes: input.attributes,
  };
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({ email: contacts.email })
      .from(contacts)
      .where(and(eq(contacts.accountId, account.id), eq(contacts.externalId, externalId)))
      .for("update");
    const [row] = await tx
      .insert(contacts)
      .values({ workspaceId: account.workspaceId, accountId: account.id, externalId, ...values })
      .onConflictDoUpdate({
        target: [contacts.accountId, contacts.externalId],
        set: { ...values, updatedAt: at },
      })
      .returning({ ...getTableColumns(contacts), created: sql<boolean>`(xmax = 0)` });
    if (!row) throw new Error("contact upsert returned nothing");
    if (!sameAddress(before?.email, row.email)) await restoreUnsubscribes(tx as unknown as Db, row);
    return { contact: toContact(row, account.externalId), created: Boolean(row.created) };
  });
}

function sameAddress(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

export type PatchContactResult =
  | { ok: true; contact: Contact }
  | { ok: false; refusal: "not_found"; detail: string }
  | { ok: false; refusal: "invalid"; pointer: string; detail: string };

/**
 * PATCH of a contact: only the fields given change, `attributes` merged key by key (held to a PUT's
 * limits once merged), in one transaction under the row's lock.
 */
export async function patchContact(
  db: Db,
  workspaceId: string,
  accountExternalId: string,
  externalId: string,
  patch: ContactPatch,
  at: Date,
): Promise<PatchContactResult> {
  const account = await findAccountRow(db, workspaceId, accountExternalId);
  if (!account)
    return { ok: false, refusal: "not_found", detail: `No account with externalId "${accountExternalId}".` };
  const { attributes, ...rest } = patch;
  return db.transaction(async (tx): Promise<PatchContactResult> => {
    const [current] = await tx
      .select()
      .from(contacts)
      .where(and(eq(contacts.accountId, account.id), eq(contacts.externalId, externalId)))
      .for("update");
    if (!current)
      return {
        ok: false,
        refusal: "not_found",
        detail: `No contact "${externalId}" on account "${accountExternalId}".`,
      };
    const merged = attributes && { ...current.attributes, ...attributes };
    const tooBig = merged && attributesProblem(merged);
    if (tooBig) return { ok: false, refusal: "invalid", pointer: "/attributes", detail: tooBig };
    const [updated] = await tx
      .update(contacts)
      .set({ ...rest, ...(merged ? { attributes: merged } : {}), updatedAt: at })
      .where(eq(contacts.id, current.id))
      .returning();
    if (!updated) throw new Error("contact update returned nothing");
    if (!sameAddress(current.email, updated.email)) await restoreUnsubscribes(tx as unknown as Db, updated);
    return { ok: true, contact: toContact(updated, account.externalId) };
  });
}

export const ContactListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_ATTRIBUTES_PAGE).default(100),
  cursor: ExternalIdCursor.optional(),
  role: ContactRole.optional(),
});
export type ContactListQuery = z.infer<typeof ContactListQuery>;

/** PUT of a contact: creates or replaces it on the account; null when there is no such account. */
export async function putContact(
  db: Db,
  workspaceId: string,
  accountExternalId: string,
  externalId: string,
  input: ContactInput,
  at: Date,
): Promise<{ contact: Contact; created: boolean } | null> {
  const account = await findAccountRow(db, workspaceId, accountExternalId);
  return account ? upsertContact(db, account, externalId, input, at) : null;
}

/** A page of an account's contacts in externalId order; null when there is no such account. */
export async function listContacts(
  db: Db,
  workspaceId: string,
  accountExternalId: string,
  query: ContactListQuery,
): Promise<{ data: Contact[]; nextCursor: string | null } | null> {
  const account = await findAccountRow(db, workspaceId, accountExternalId);
  if (!account) return null;
  const after = decodeCursor(query.cursor)?.[0];
  const rows = await db
    .select()
    .from(contacts)
    .where(
      and(
        eq(contacts.accountId, account.id),
        after !== undefined ? gt(contacts.externalId, after) : undefined,
        query.role ? eq(contacts.role, query.role) : undefined,
      ),
    )
    .orderBy(asc(contacts.externalId))
    .limit(query.limit + 1);
  return toPage(
    rows,
    query.limit,
    (r) => [r.externalId],
    (r) => toContact(r, account.externalId),
  );
}
