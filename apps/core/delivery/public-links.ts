import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, contacts, suppressions, templates, touches, workspaces } from "../../../db/schema/index";
import { ingestEvents } from "../events/ingest";
import { type RoutingDeps, startRouting } from "../events/route";
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
async function setPreferences(
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

/** A mail provider's one-click POST (RFC 8058) on an unsubscribe link: out of the email's category. */
export async function unsubscribeOneClick(deps: RoutingDeps, link: Verified, at: Date): Promise<void> {
  await setPreferences(deps.db, link.workspaceId, String(link.data.c), {
    unsubscribe: [String(link.data.k)],
    resubscribe: [],
    source: "one_click",
  });
  await recordEngagement(deps, link, "unsubscribed", at);
}

/**
 * The preferences page's form: the categories in `keep` go on, the others stop; `all` stops everything
 * (and unchecking it resumes what is kept). Null when the contact is gone.
 */
export async function savePreferences(
  deps: RoutingDeps,
  fileTemplates: FileTemplate[],
  link: Verified,
  form: { keep: string[]; all: boolean },
  at: Date,
): Promise<Preferences | null> {
  const contactId = String(link.data.c);
  const prefs = await preferencesOf(deps.db, fileTemplates, link.workspaceId, contactId);
  if (!prefs) return null;
  const keep = new Set(form.keep);
  const stopped =
    (form.all && !prefs.all) || prefs.categories.some((c) => c.subscribed && !keep.has(c.category));
  await setPreferences(deps.db, link.workspaceId, contactId, {
    unsubscribe: [
      ...prefs.categories.filter((cat) => !keep.has(cat.category)).map((cat) => cat.category),
      ...(form.all ? ["*"] : []),
    ],
    resubscribe: [
      ...prefs.categories.filter((cat) => keep.has(cat.category)).map((cat) => cat.category),
      ...(form.all ? [] : ["*"]),
    ],
    source: "page",
  });
  if (stopped) await recordEngagement(deps, link, "unsubscribed", at);
  return prefs;
}

/**
 * A followed open pixel or click link: verified, recorded as a `message_opened` /
 * `message_clicked` event (an unsubscribe, as `message_unsubscribed`) and routed to the running journeys, as ingested events are (nothing is
 * recorded when the message is gone). Null when the token does not verify.
 */
export async function recordTracking(
  deps: RoutingDeps,
  kind: "opened" | "clicked",
  token: string,
  at: Date,
): Promise<{ link: Verified } | null> {
  const { db } = deps;
  const link = await verifyLink(db, kind === "opened" ? "open" : "click", token);
  if (!link) return null;
  await recordEngagement(deps, link, kind, at);
  return { link };
}

type Engagement = "opened" | "clicked" | "unsubscribed";

/**
 * An open, click or unsubscribe, as the `message_<kind>` event of the message's contact, routed like
 * an ingested event. An unsubscribe link signed before links carried their touch records nothing.
 */
async function recordEngagement(deps: RoutingDeps, link: Verified, kind: Engagement, at: Date) {
  if (typeof link.data.t !== "string" || !isUuid(link.data.t)) return;
  const event = await trackingEvent(deps.db, link.workspaceId, link.data, kind, at);
  if (!event) return;
  const stored = await ingestEvents(deps.db, link.workspaceId, [event], at);
  await startRouting(deps, link.workspaceId, stored.batchIds);
}

/** The event a tracked open, click or unsubscribe becomes, in the shape `POST /v1/events` takes. */
async function trackingEvent(
  db: Db,
  workspaceId: string,
  data: Record<string, unknown>,
  kind: Engagement,
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
