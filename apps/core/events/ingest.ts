import { and, eq, inArray, is, sql } from "drizzle-orm";
import { PgTransaction } from "drizzle-orm/pg-core";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { accounts, contacts, events } from "../../../db/schema/index";
import { Attributes, ExternalId, Instant, storableText } from "../shared/validators";
import { idArray } from "./unrouted";

export const MAX_EVENTS_PER_BATCH = 1000;

/** How far ahead of the receiving clock an event may be dated: clock skew, never a typo'd year. */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;

export const EventInput = storableText(
  z.strictObject({
    id: z.string().min(1).max(200).meta({ description: "Your id for the event; resending it is a no-op" }),
    account: ExternalId.meta({ description: "externalId of the account" }),
    contact: ExternalId.optional().meta({ description: "externalId of the contact, if a person did it" }),
    name: z.string().trim().min(1).max(200).meta({ example: "login" }),
    occurredAt: Instant.meta({ example: "2026-11-20T09:30:00Z" }),
    properties: Attributes.default({}),
  }),
).meta({ id: "EventInput" });
export type EventInput = z.infer<typeof EventInput>;

export const EventBatch = z
  .object({ events: z.array(EventInput).min(1).max(MAX_EVENTS_PER_BATCH) })
  .meta({ id: "EventBatch" });

export const EventItemResult = z
  .object({
    index: z.number().int(),
    id: z.string().nullable(),
    status: z.enum(["accepted", "duplicate", "rejected"]),
    errors: z.array(z.object({ pointer: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "EventItemResult" });
export type EventItemResult = z.infer<typeof EventItemResult>;

export type IngestResult = {
  results: EventItemResult[];
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Internal ids of the newly stored events. */
  storedIds: string[];
  /** Their unrouted_batches rows (one a batch stored), which routing is started with. */
  batchIds: string[];
};

/**
 * Stores the valid, new events of a batch; each item gets its own verdict and nothing valid is lost.
 * `now` is the services' clock: an event dated more than a day after it is refused at its `occurredAt`
 * (it would otherwise become the last login for years).
 */
export async function ingestEvents(
  db: Db,
  workspaceId: string,
  items: unknown[],
  now: Date,
): Promise<IngestResult> {
  const results: EventItemResult[] = [];
  const valid: { index: number; event: EventInput }[] = [];
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const parsed = EventInput.safeParse(item);
    const rawId = typeof (item as { id?: unknown })?.id === "string" ? (item as { id: string }).id : null;
    if (!parsed.success) {
      results[index] = {
        index,
        id: rawId,
        status: "rejected",
        errors: parsed.error.issues.map((issue) => ({
          pointer: `/events/${index}${issue.path.map((p) => `/${String(p)}`).join("")}`,
          message: issue.message,
        })),
      };
      return;
    }
    if (Date.parse(parsed.data.occurredAt) > now.getTime() + MAX_FUTURE_MS) {
      results[index] = {
        index,
        id: parsed.data.id,
        status: "rejected",
        errors: [
          {
            pointer: `/events/${index}/occurredAt`,
            message: `must be at most 24 hours after the time it is received (${now.toISOString()})`,
          },
        ],
      };
      return;
    }
    if (seen.has(parsed.data.id)) {
      results[index] = { index, id: parsed.data.id, status: "duplicate" };
      return;
    }
    seen.add(parsed.data.id);
    valid.push({ index, event: parsed.data });
  });

  const accountIds = await resolveAccounts(
    db,
    workspaceId,
    valid.map((v) => v.event.account),
  );
  const contactIds = await resolveContacts(
    db,
    valid.flatMap((v) => {
      const accountId = accountIds.get(v.event.account);
      return accountId && v.event.contact ? [{ accountId, externalId: v.event.contact }] : [];
    }),
  );

  const rows: EventRow[] = [];
  for (const { index, event } of valid) {
    const accountId = accountIds.get(event.account);
    const contactId =
      accountId && event.contact ? contactIds.get(`${accountId}\u0000${event.contact}`) : undefined;
    const errors = [
      ...(accountId
        ? []
        : [
            { pointer: `/events/${index}/account`, message: `no account with externalId "${event.account}"` },
          ]),
      ...(accountId && event.contact && !contactId
        ? [
            {
              pointer: `/events/${index}/contact`,
              message: `no contact "${event.contact}" on account "${event.account}"`,
            },
          ]
        : []),
    ];
    if (!accountId || errors.length > 0) {
      results[index] = { index, id: event.id, status: "rejected", errors };
      continue;
    }
    rows.push({
      index,
      workspaceId,
      eventId: event.id,
      accountId,
      contactId: contactId ?? null,
      name: event.name,
      occurredAt: new Date(event.occurredAt).toISOString(),
      properties: event.properties,
    });
  }

  const { inserted, refused } = await insertEvents(db, workspaceId, rows);
  const insertedByEventId = new Map(inserted.map((r) => [r.eventId, r.id]));
  for (const row of rows) {
    results[row.index] = refused.has(row.index)
      ? {
          index: row.index,
          id: row.eventId,
          status: "rejected",
          errors: [{ pointer: `/events/${row.index}`, message: "the database refused to store this event" }],
        }
      : {
          index: row.index,
          id: row.eventId,
          status: insertedByEventId.has(row.eventId) ? "accepted" : "duplicate",
        };
  }

  const count = (status: EventItemResult["status"]) => results.filter((r) => r.status === status).length;
  return {
    results,
    accepted: count("accepted"),
    duplicates: count("duplicate"),
    rejected: count("rejected"),
    storedIds: inserted.map((r) => r.id),
    batchIds: [...new Set(inserted.map((r) => r.batchId))],
  };
}

type StoredRow = { id: string; eventId: string; batchId: string };

type EventRow = {
  index: number;
  workspaceId: string;
  eventId: string;
  accountId: string;
  contactId: string | null;
  name: string;
  occurredAt: string;
  properties: Record<string, unknown>;
};

/**
 * One INSERT of the rows, handed over as a single JSON parameter: a multi-row VALUES of 1,000 events
 * has 8,000 parameters, which drizzle built and checked one by one, costing the API more CPU than
 * the database spent storing them. Rows already stored (the same `eventId`) are skipped.
 */
async function insertBatch(db: Db, workspaceId: string, batch: EventRow[]) {
  const rows = JSON.stringify(
    batch.map((r) => ({
      event_id: r.eventId,
      account_id: r.accountId,
      contact_id: r.contactId,
      name: r.name,
      occurred_at: r.occurredAt,
      properties: r.properties,
    })),
  );
  // The new events' batch row (unrouted until routing deletes it) in the same statement, so no
  // event is stored without it.
  const result = await db.execute(sql`
    with stored as (
      insert into events (workspace_id, event_id, account_id, contact_id, name, occurred_at, properties)
      select ${workspaceId}::uuid, x.event_id, x.account_id, x.contact_id, x.name, x.occurred_at, x.properties
      from jsonb_to_recordset(${rows}::jsonb) as x(
        event_id text, account_id uuid, contact_id uuid, name text, occurred_at timestamptz, properties jsonb)
      on conflict (workspace_id, event_id) do nothing
      returning id, event_id
    ), batch as (
      insert into unrouted_batches (workspace_id, event_ids)
      select ${workspaceId}::uuid, array_agg(id) from stored having count(*) > 0
      returning id
    )
    select id, event_id as "eventId", (select id from batch) as "batchId" from stored`);
  return rowsOf<StoredRow>(result);
}

/** PGlite answers { rows }, postgres.js an array. */
const rowsOf = <T>(result: unknown): T[] => (result as { rows?: T[] }).rows ?? (result as T[]);

/**
 * One multi-row INSERT; if the database refuses it (one row it cannot store fails them all), the
 * rows go in one by one so only the refused ones are lost.
 */
async function insertEvents(
  db: Db,
  workspaceId: string,
  rows: EventRow[],
): Promise<{ inserted: StoredRow[]; refused: Set<number> }> {
  // Inside a caller's transaction each statement gets a savepoint, so a refused batch does not abort
  // that transaction before the rows are retried one by one. Outside one, a single statement is
  // atomic already, and BEGIN and COMMIT would cost two more round trips a batch.
  const insert = (batch: EventRow[]) =>
    is(db, PgTransaction)
      ? db.transaction((tx) => insertBatch(tx as unknown as Db, workspaceId, batch))
      : insertBatch(db, workspaceId, batch);
  const refused = new Set<number>();
  if (rows.length === 0) return { inserted: [], refused };
  try {
    return { inserted: await insert(rows), refused };
  } catch (err) {
    if (!isRowRefusal(err)) throw err;
    const inserted: StoredRow[] = [];
    for (const row of rows) {
      try {
        inserted.push(...(await insert([row])));
      } catch (rowErr) {
        if (!isRowRefusal(rowErr)) throw rowErr;
        refused.add(row.index);
      }
    }
    return { inserted, refused };
  }
}

/**
 * A refusal of the data itself (SQLSTATE class 22 data exception, 23 integrity violation), as
 * opposed to the database being unreachable, which must stay a 5xx rather than reject every item.
 */
function isRowRefusal(err: unknown): boolean {
  for (let at: unknown = err; at instanceof Error; at = at.cause) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === "string" && /^2[23]/.test(code)) return true;
  }
  return false;
}

async function resolveAccounts(
  db: Db,
  workspaceId: string,
  externalIds: string[],
): Promise<Map<string, string>> {
  const unique = [...new Set(externalIds)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .select({ id: accounts.id, externalId: accounts.externalId })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, workspaceId), inArray(accounts.externalId, unique)));
  return new Map(rows.map((r) => [r.externalId, r.id]));
}

async function resolveContacts(
  db: Db,
  refs: { accountId: string; externalId: string }[],
): Promise<Map<string, string>> {
  if (refs.length === 0) return new Map();
  const accountIds = [...new Set(refs.map((r) => r.accountId))];
  const externalIds = [...new Set(refs.map((r) => r.externalId))];
  const rows = await db
    .select({ id: contacts.id, accountId: contacts.accountId, externalId: contacts.externalId })
    .from(contacts)
    .where(and(inArray(contacts.accountId, accountIds), inArray(contacts.externalId, externalIds)));
  return new Map(rows.map((r) => [`${r.accountId}\u0000${r.externalId}`, r.id]));
}

/**
 * Folds newly stored events into the account facts journeys read (last seen, last login).
 * Set-based: one statement however many accounts the events touch.
 */
export async function applyEventFacts(db: Db, workspaceId: string, eventIds: string[]): Promise<number> {
  if (eventIds.length === 0) return 0;
  const latest = db
    .select({
      accountId: events.accountId,
      lastSeen: sql<Date>`max(${events.occurredAt})`.as("last_seen"),
      lastLogin: sql<Date | null>`max(${events.occurredAt}) filter (where ${events.name} = 'login')`.as(
        "last_login",
      ),
    })
    .from(events)
    .where(and(eq(events.workspaceId, workspaceId), sql`${events.id} = any(${idArray(eventIds)})`))
    .groupBy(events.accountId)
    .as("latest");
  const updated = await db
    .update(accounts)
    .set({
      lastSeenAt: sql`greatest(${accounts.lastSeenAt}, ${latest.lastSeen})`,
      lastLoginAt: sql`greatest(${accounts.lastLoginAt}, ${latest.lastLogin})`,
    })
    .from(latest)
    .where(eq(accounts.id, latest.accountId))
    .returning({ id: accounts.id });
  return updated.length;
}
