import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, contacts, suppressions, templates, touches, workspaces } from "../../../db/schema/index";
import { type Purpose, peekToken, verifyToken } from "../shared/signing";
import { isUuid } from "../shared/uuid";
import type { FileTemplate } from "../templates/files";
import { TRANSACTIONAL } from "./decide";

/**
 * What the public, signed links do: the unsubscribe / preferences page and one-click POST, the open
 * pixel and the click redirect. A token is verified with its workspace's secret; anything else
 * (tampered, truncated, made for another purpose) is refused.
 */

export type Verified = { workspaceId: string; data: Record<string, unknown> };

export async function verifyLink(db: Db, purpose: Purpose, token: string): Promise<Verified | null> {
  const workspaceId = peekToken(token)?.w;
  if (typeof workspaceId !== "string" || !isUuid(workspaceId)) return null;
  const [ws] = await db
    .select({ secret: workspaces.signingSecret })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId));
  if (!ws) return null;
  const data = verifyToken(ws.secret, purpose, token);
  return data ? { workspaceId, data } : null;
}

export type Preferences = {
  email: string;
  categories: { category: string; subscribed: boolean }[];
  all: boolean;
};

/** The categories a contact can choose from: every non-transactional template category in use. */
export async function preferencesOf(
  db: Db,
  fileTemplates: FileTemplate[],
  workspaceId: string,
  contactId: string,
): Promise<Preferences | null> {
  const [contact] = await db
    .select({ email: contacts.email })
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)));
  if (!contact) return null;
  const own = await db
    .selectDistinct({ category: templates.category })
    .from(templates)
    .where(eq(templates.workspaceId, workspaceId))
    .orderBy(asc(templates.category));
  const names = [...new Set([...fileTemplates.map((t) => t.category), ...own.map((t) => t.category)])]
    .filter((c) => c !== TRANSACTIONAL)
    .sort();
  const off = new Set(
    (
      await db
        .select({ category: suppressions.category })
        .from(suppressions)
        .where(eq(suppressions.contactId, contactId))
    ).map((s) => s.category),
  );
  return {
    email: contact.email,
    categories: names.map((category) => ({ category, subscribed: !off.has(category) && !off.has("*") })),
    all: off.has("*"),
  };
}

/** Opts the contact out of these categories (`*` = everything) and back into the others listed. */
export async function setPreferences(
  db: Db,
  workspaceId: string,
  contactId: string,
  change: { unsubscribe: string[]; resubscribe: string[]; source: "page" | "one_click" | "api" },
): Promise<void> {
  await db.transaction(async (tx) => {
    if (change.resubscribe.length > 0)
      await tx
        .delete(suppressions)
        .where(
          and(eq(suppressions.contactId, contactId), inArray(suppressions.category, change.resubscribe)),
        );
    if (change.unsubscribe.length > 0)
      await tx
        .insert(suppressions)
        .values(
          change.unsubscribe.map((category) => ({ workspaceId, contactId, category, source: change.source })),
        )
        .onConflictDoNothing();
  });
}

/** The event a tracked open or click becomes, in the shape `POST /v1/events` takes. */
export async function trackingEvent(
  db: Db,
  workspaceId: string,
  data: Record<string, unknown>,
  kind: "opened" | "clicked",
  at: Date,
) {
  const touchId = String(data.t);
  const contactId = String(data.c);
  const [row] = await db
    .select({ touch: touches, account: accounts.externalId, contact: contacts.externalId })
    .from(touches)
    .innerJoin(contacts, eq(contacts.id, contactId))
    .innerJoin(accounts, eq(accounts.id, contacts.accountId))
    .where(and(eq(touches.workspaceId, workspaceId), eq(touches.id, touchId)));
  if (!row) return null;
  return {
    // One event per message, contact and kind: a reloaded pixel or a second click is a duplicate.
    id: `${kind}:${touchId}:${contactId}`,
    account: row.account,
    contact: row.contact,
    name: `message_${kind}`,
    occurredAt: at.toISOString(),
    properties: {
      stepId: row.touch.stepId,
      touchKey: row.touch.touchKey,
      enrollmentId: row.touch.enrollmentId,
      channel: "email",
      ...(kind === "clicked" ? { url: String(data.u) } : {}),
    },
  };
}
