import { createHmac } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { contacts, erasedAddresses, suppressions, workspaces } from "../../../db/schema/index";

/**
 * Unsubscribes outlive the contact they belonged to: erasing a contact keeps a keyed hash of its
 * address with the categories it had left, and a contact saved later with that address gets them
 * back. The key is the workspace's signing secret, so the table alone cannot be matched against a
 * list of addresses, and another workspace's hash of the same address differs.
 */

/** HMAC-SHA256 of the address (case folded: `Jo@Example.com` is the same mailbox to a person). */
export function addressHash(secret: string, email: string): string {
  return createHmac("sha256", secret)
    .update(`erased-address.${email.trim().toLowerCase()}`)
    .digest("base64url");
}

async function secretOf(db: Db, workspaceId: string): Promise<string> {
  const [ws] = await db
    .select({ secret: workspaces.signingSecret })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId));
  if (!ws) throw new Error(`workspace ${workspaceId} vanished`);
  return ws.secret;
}

/**
 * Before contacts are erased: the hash of each one's address that unsubscribed from anything, with
 * its categories merged into what an earlier erasure kept (an unsubscribe is never dropped here).
 */
export async function rememberUnsubscribes(
  db: Db,
  workspaceId: string,
  contactIds: string[],
  at: Date,
): Promise<void> {
  if (contactIds.length === 0) return;
  const rows = await db
    .select({
      email: contacts.email,
      categories: sql<string[]>`jsonb_agg(distinct ${suppressions.category})`,
    })
    .from(suppressions)
    .innerJoin(contacts, eq(contacts.id, suppressions.contactId))
    .where(and(eq(suppressions.workspaceId, workspaceId), inArray(suppressions.contactId, contactIds)))
    .groupBy(contacts.email);
  if (rows.length === 0) return;
  const secret = await secretOf(db, workspaceId);
  for (const row of rows) {
    await db
      .insert(erasedAddresses)
      .values({ workspaceId, addressHash: addressHash(secret, row.email), categories: row.categories })
      .onConflictDoUpdate({
        target: [erasedAddresses.workspaceId, erasedAddresses.addressHash],
        set: {
          categories: sql`(select jsonb_agg(distinct c) from jsonb_array_elements_text(${erasedAddresses.categories} || excluded.categories) c)`,
          updatedAt: at,
        },
      });
  }
}

/** A contact just saved: the unsubscribes an erased contact with its address had, carried over. */
export async function restoreUnsubscribes(
  db: Db,
  contact: { id: string; workspaceId: string; email: string },
): Promise<void> {
  const secret = await secretOf(db, contact.workspaceId);
  const [kept] = await db
    .select({ categories: erasedAddresses.categories })
    .from(erasedAddresses)
    .where(
      and(
        eq(erasedAddresses.workspaceId, contact.workspaceId),
        eq(erasedAddresses.addressHash, addressHash(secret, contact.email)),
      ),
    );
  if (!kept || kept.categories.length === 0) return;
  await db
    .insert(suppressions)
    .values(
      kept.categories.map((category) => ({
        workspaceId: contact.workspaceId,
        contactId: contact.id,
        category,
        source: "erased_address" as const,
      })),
    )
    .onConflictDoNothing({ target: [suppressions.contactId, suppressions.category] });
}
