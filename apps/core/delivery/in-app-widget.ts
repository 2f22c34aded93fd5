import { createHmac, timingSafeEqual } from "node:crypto";
import { and, desc, eq, ne } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import {
  accounts,
  contacts,
  inAppMessages,
  inAppStatuses,
  touches,
  workspaces,
} from "../../../db/schema/index";
import { type EventInput, ingestEvents } from "../events/ingest";
import { type RoutingDeps, startRouting } from "../events/route";
import type { Refusal } from "../shared/refusal";
import type { Services } from "../shared/services";
import { isUuid } from "../shared/uuid";

/**
 * In-app messages as the widget on a customer's page sees them. The page proves who the contact is
 * with `hash`, an HMAC its own backend computes with the workspace's identity secret, so a visitor
 * cannot read or act on another contact's messages by editing the ids in the page.
 */

/** Most messages the widget is sent at once. */
export const MAX_WIDGET_MESSAGES = 20;

export const InAppMessage = z
  .object({
    id: z.uuid(),
    style: z.enum(["banner", "modal"]),
    title: z.string().nullable(),
    body: z.string().meta({ description: "Plain text; show it as text, never as HTML" }),
    ctaLabel: z.string().nullable(),
    ctaUrl: z.string().nullable().meta({ description: "An http(s) URL, or null" }),
    status: z.enum(inAppStatuses),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "InAppMessage" });
export type InAppMessage = z.infer<typeof InAppMessage>;

export const WidgetKeys = z
  .object({
    publishableKey: z.string().meta({ description: "Public: put it in the page", example: "pk_3f…" }),
    identitySecret: z.string().meta({ description: "Secret: keep it on your server" }),
    userHash: z.string().meta({ description: "How to compute `hash` for a contact" }),
  })
  .meta({ id: "InAppKeys" });
export type WidgetKeys = z.infer<typeof WidgetKeys>;

export const widgetActions = ["seen", "clicked", "dismissed"] as const;
export type WidgetAction = (typeof widgetActions)[number];

/** What the page sends to say who is looking; every field is checked before anything is read. */
export type WidgetCredentials = {
  key?: string | undefined;
  account?: string | undefined;
  contact?: string | undefined;
  hash?: string | undefined;
};

export type WidgetIdentity = {
  workspaceId: string;
  accountExternalId: string;
  contactExternalId: string;
  /** Null when the hash is right but no such contact exists (yet): it simply has no messages. */
  contactId: string | null;
};

/**
 * The secret handed to customers is derived from the workspace's signing secret, not the secret
 * itself: a leaked identity secret lets someone impersonate widget users, not forge signed links.
 */
export function identitySecret(signingSecret: string): string {
  return createHmac("sha256", signingSecret).update("volante:in-app-identity:v1").digest("hex");
}

/**
 * The `hash` a page sends for a contact. `/` cannot occur in an external id, so no other
 * (account, contact) pair signs the same string.
 */
export function userHash(secret: string, accountExternalId: string, contactExternalId: string): string {
  return createHmac("sha256", secret).update(`${accountExternalId}/${contactExternalId}`).digest("hex");
}

const USER_HASH_RECIPE =
  "hash = lower-case hex HMAC-SHA256(key: identitySecret, message: '<account externalId>/<contact externalId>'), computed on your server.";

const HEX_64 = /^[0-9a-f]{64}$/i;

function sameHex(expected: string, presented: string): boolean {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(presented.toLowerCase(), "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Checks the page's credentials. Every failure is the same `null`, so a caller cannot learn which
 * part was wrong, nor whether the contact exists.
 */
export async function verifyWidget(db: Db, creds: WidgetCredentials): Promise<WidgetIdentity | null> {
  const { key, account, contact, hash } = creds;
  if (!key || !account || !contact || !hash) return null;
  if (key.length > 200 || account.length > 200 || contact.length > 200 || !HEX_64.test(hash)) return null;
  const [workspace] = await db
    .select({ id: workspaces.id, signingSecret: workspaces.signingSecret })
    .from(workspaces)
    .where(eq(workspaces.publishableKey, key))
    .limit(1);
  if (!workspace) return null;
  if (!sameHex(userHash(identitySecret(workspace.signingSecret), account, contact), hash)) return null;
  const [person] = await db
    .select({ id: contacts.id })
    .from(contacts)
    .innerJoin(accounts, eq(accounts.id, contacts.accountId))
    .where(
      and(
        eq(accounts.workspaceId, workspace.id),
        eq(accounts.externalId, account),
        eq(contacts.externalId, contact),
      ),
    )
    .limit(1);
  return {
    workspaceId: workspace.id,
    accountExternalId: account,
    contactExternalId: contact,
    contactId: person?.id ?? null,
  };
}

/** Only web links reach the page: a `javascript:` or `data:` URL in a template must never be followed. */
function webUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

type Row = typeof inAppMessages.$inferSelect;

function toMessage(row: Row): InAppMessage {
  return {
    id: row.id,
    style: row.style,
    title: row.title,
    body: row.body,
    ctaLabel: row.ctaLabel,
    ctaUrl: webUrl(row.ctaUrl),
    status: row.status,
    createdAt: row.createdAt.toISOString(),
  };
}

/** The contact's messages that are not dismissed, newest first. */
export async function listWidgetMessages(db: Db, identity: WidgetIdentity): Promise<InAppMessage[]> {
  if (!identity.contactId) return [];
  const rows = await db
    .select()
    .from(inAppMessages)
    .where(
      and(
        eq(inAppMessages.workspaceId, identity.workspaceId),
        eq(inAppMessages.contactId, identity.contactId),
        ne(inAppMessages.status, "dismissed"),
      ),
    )
    .orderBy(desc(inAppMessages.createdAt), desc(inAppMessages.id))
    .limit(MAX_WIDGET_MESSAGES);
  return rows.map(toMessage);
}

/** The event each action records; the journey interpreter reads opened/clicked as touch outcomes. */
const EVENT_NAMES: Record<WidgetAction, string> = {
  seen: "message_opened",
  clicked: "message_clicked",
  dismissed: "message_dismissed",
};

export type MarkResult = { ok: true; message: InAppMessage } | { ok: false; refusal: Refusal };

/**
 * Records what the contact did with a message. Idempotent: a repeat changes nothing and records no
 * second event (the event ids are derived from the message). A click implies the message was seen.
 * The events are routed to the running journeys, as ingested events are, so waiting runs see the outcome.
 */
export async function markWidgetMessage(
  deps: RoutingDeps & Pick<Services, "clock">,
  identity: WidgetIdentity,
  messageId: string,
  action: WidgetAction,
): Promise<MarkResult> {
  const now = deps.clock.now();
  const contactId = identity.contactId;
  if (!contactId || !isUuid(messageId)) return { ok: false, refusal: "not_found" };
  const marked = await deps.db.transaction(async (tx) => {
    const [found] = await tx
      .select({ message: inAppMessages, enrollmentId: touches.enrollmentId })
      .from(inAppMessages)
      .innerJoin(touches, eq(touches.id, inAppMessages.touchId))
      .where(
        and(
          eq(inAppMessages.id, messageId),
          eq(inAppMessages.workspaceId, identity.workspaceId),
          eq(inAppMessages.contactId, contactId),
        ),
      )
      .for("update", { of: inAppMessages });
    if (!found) return null;
    const row = found.message;

    const happened: WidgetAction[] = action === "clicked" ? ["seen", "clicked"] : [action];
    const before = { seen: row.seenAt, clicked: row.clickedAt, dismissed: row.dismissedAt };
    const fresh = happened.filter((a) => before[a] === null);
    if (fresh.length === 0) return { message: toMessage(row), batchIds: [] };
    const at = { ...before };
    for (const a of fresh) at[a] = now;

    const status = at.dismissed ? "dismissed" : at.clicked ? "clicked" : at.seen ? "seen" : "unseen";
    const [updated] = await tx
      .update(inAppMessages)
      .set({ status, seenAt: at.seen, clickedAt: at.clicked, dismissedAt: at.dismissed, updatedAt: now })
      .where(eq(inAppMessages.id, row.id))
      .returning();
    if (!updated) throw new Error(`in-app message ${row.id} vanished`);

    const events: EventInput[] = fresh.map((a) => ({
      id: `inapp:${row.id}:${a}`,
      account: identity.accountExternalId,
      contact: identity.contactExternalId,
      name: EVENT_NAMES[a],
      occurredAt: now.toISOString(),
      // The enrollment and step that sent it: an outcome only ever counts for that run's own touch.
      properties: {
        enrollmentId: found.enrollmentId,
        stepId: row.stepId,
        messageId: row.id,
        channel: "in_app",
      },
    }));
    const ingested = await ingestEvents(tx, identity.workspaceId, events, now);
    if (ingested.rejected > 0) {
      throw new Error(
        `in-app events rejected: ${JSON.stringify(ingested.results.flatMap((r) => r.errors ?? []))}`,
      );
    }
    return { message: toMessage(updated), batchIds: ingested.batchIds };
  });
  if (!marked) return { ok: false, refusal: "not_found" };
  await startRouting(deps, identity.workspaceId, marked.batchIds);
  return { ok: true, message: marked.message };
}

/** The keys a workspace puts in its pages (publishable) and on its server (identity secret). */
export async function widgetKeys(db: Db, workspaceId: string): Promise<WidgetKeys> {
  const [workspace] = await db
    .select({ publishableKey: workspaces.publishableKey, signingSecret: workspaces.signingSecret })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId))
    .limit(1);
  if (!workspace) throw new Error(`workspace ${workspaceId} vanished`);
  return {
    publishableKey: workspace.publishableKey,
    identitySecret: identitySecret(workspace.signingSecret),
    userHash: USER_HASH_RECIPE,
  };
}
