import { and, asc, eq, getTableColumns, gt, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { contacts } from "../../../db/schema/index";
import { type WakeDeps, wakeRunsWaitingForContacts } from "../enrollments/wake-for-contacts";
import { decodeCursor, MAX_ATTRIBUTES_PAGE, toPage } from "../shared/pagination";
import { attributesProblem, ExternalIdCursor } from "../shared/validators";
import { findAccountRow } from "./accounts";
import { type AccountContacts, type ContactInput, type ContactPatch, ContactRole } from "./contact-input";
import { restoreUnsubscribes } from "./erased-addresses";

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

/**
 * Creates or replaces several contacts of an account in one statement (the `contacts` of an account's
 * PUT; pass its transaction as `db`).
 */
export async function upsertContacts(
  db: Db,
  account: AccountRef,
  list: AccountContacts,
  at: Date,
): Promise<void> {
  if (list.length === 0) return;
  const excluded = (column: { name: string }) => sql`excluded.${sql.identifier(column.name)}`;
  const before = new Map(
    (
      await db
        .select({ externalId: contacts.externalId, email: contacts.email })
        .from(contacts)
        .where(
          and(
            eq(contacts.accountId, account.id),
            inArray(
              contacts.externalId,
              list.map((c) => c.externalId),
            ),
          ),
        )
    ).map((c) => [c.externalId, c.email]),
  );
  const saved = await db
    .insert(contacts)
    .values(
      list.map((c) => ({
        workspaceId: account.workspaceId,
        accountId: account.id,
        externalId: c.externalId,
        email: c.email,
        name: c.name ?? null,
        role: c.role,
        locale: c.locale,
        timezone: c.timezone ?? null,
        attributes: c.attributes,
      })),
    )
    .onConflictDoUpdate({
      target: [contacts.accountId, contacts.externalId],
      set: {
        email: excluded(contacts.email),
        name: excluded(contacts.name),
        role: excluded(contacts.role),
        locale: excluded(contacts.locale),
        timezone: excluded(contacts.timezone),
        attributes: excluded(contacts.attributes),
        updatedAt: at,
      },
    })
    .returning({
      id: contacts.id,
      workspaceId: contacts.workspaceId,
      externalId: contacts.externalId,
      email: contacts.email,
    });
  // A new address (a new contact, or a changed email) gets back what an erased contact with it unsubscribed from.
  for (const row of saved)
    if (!sameAddress(before.get(row.externalId), row.email)) await restoreUnsubscribes(db, row);
}

/**
 * PUT of a contact: creates or replaces it on the account, then wakes the account's runs whose touch
 * waits for recipients. Null when there is no such account.
 */
export async function putContact(
  deps: WakeDeps,
  workspaceId: string,
  accountExternalId: string,
  externalId: string,
  input: ContactInput,
  at: Date,
): Promise<{ contact: Contact; created: boolean } | null> {
  const account = await findAccountRow(deps.db, workspaceId, accountExternalId);
  if (!account) return null;
  const saved = await upsertContact(deps.db, account, externalId, input, at);
  await wakeRunsWaitingForContacts(deps, account.id);
  return saved;
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
