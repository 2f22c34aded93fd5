import { and, desc, eq, inArray, isNull, ne, or, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import {
  accountHealth,
  contacts,
  enrollments,
  escalations,
  events,
  journeys,
  stageChanges,
  touches,
} from "../../../db/schema/index";
import { decodeCursor, encodeCursor, MAX_ATTRIBUTES_PAGE, toPage } from "../shared/pagination";
import { isUuid } from "../shared/uuid";
import { type AccountRow, findAccountRow, LifecycleStage } from "./accounts";

/**
 * An account's timeline: what it did (events), what it was sent (touches, with their opens and
 * clicks), and what happened to it (stage and health changes, escalations), newest first. Each kind
 * is read with the same keyset (time to the millisecond, kind, id) and the pages merged, so a page
 * costs one bounded query per kind however long the history is.
 */

const kinds = ["escalation", "event", "health_change", "stage_change", "touch"] as const;
type Kind = (typeof kinds)[number];
type Key = { at: Date; kind: Kind; id: string };

function parseCursor(cursor: string): Key | undefined {
  const parts = decodeCursor(cursor) ?? [];
  const [at = "", kind = "", id = ""] = parts;
  const date = new Date(at);
  const ok =
    parts.length === 3 &&
    !Number.isNaN(date.getTime()) &&
    date.toISOString() === at &&
    (kinds as readonly string[]).includes(kind) &&
    (isUuid(id) || /^\d{1,19}$/.test(id)) &&
    encodeCursor(...parts) === cursor;
  return ok ? { at: date, kind: kind as Kind, id } : undefined;
}

export const TimelineQuery = z.object({
  // Events carry properties of up to 64 KiB, as accounts carry attributes.
  limit: z.coerce.number().int().min(1).max(MAX_ATTRIBUTES_PAGE).default(50),
  cursor: z
    .string()
    .refine((c) => parseCursor(c) !== undefined, "is not a cursor returned by this list")
    .optional()
    .meta({ description: "`nextCursor` of the previous page" }),
});
export type TimelineQuery = z.infer<typeof TimelineQuery>;

const at = z.string().meta({ description: "When it happened (ISO 8601, to the millisecond)" });
const item = { id: z.string(), at };

export const TimelineItem = z
  .discriminatedUnion("type", [
    z.object({
      type: z.literal("event"),
      ...item,
      name: z.string(),
      contact: z.string().nullable().meta({ description: "externalId of the contact who did it" }),
      properties: z.record(z.string(), z.unknown()),
    }),
    z.object({
      type: z.literal("touch"),
      ...item,
      journey: z.string().meta({ description: "Key of the journey that sent it" }),
      stepId: z.string(),
      channel: z.enum(["email", "in_app", "notification", "webhook"]),
      template: z.string(),
      status: z.string(),
      reason: z.string().nullable(),
      recipients: z.array(z.string()),
      opens: z.number().int().meta({ description: "Recipients who opened it (tracked)" }),
      clicks: z.number().int().meta({ description: "Recipients who clicked a link in it (tracked)" }),
      lastOpenedAt: z.string().nullable(),
      lastClickedAt: z.string().nullable(),
    }),
    z.object({
      type: z.literal("stage_change"),
      ...item,
      from: LifecycleStage.nullable().meta({ description: "null: the stage the account was created in" }),
      to: LifecycleStage,
    }),
    z.object({
      type: z.literal("health_change"),
      ...item,
      score: z.number().int(),
      band: z.enum(["red", "yellow", "green"]),
      previousScore: z.number().int().nullable(),
      previousBand: z.enum(["red", "yellow", "green"]).nullable(),
    }),
    z.object({
      type: z.literal("escalation"),
      ...item,
      reason: z.string(),
      priority: z.string(),
      status: z.string(),
      assignee: z.string().nullable(),
      dueAt: z.string(),
      resolvedAt: z.string().nullable(),
    }),
  ])
  .meta({ id: "TimelineItem" });
export type TimelineItem = z.infer<typeof TimelineItem>;

export const TimelinePage = z
  .object({ data: z.array(TimelineItem), nextCursor: z.string().nullable() })
  .meta({ id: "TimelinePage" });
export type TimelinePage = z.infer<typeof TimelinePage>;

type Entry = { key: Key; item: TimelineItem };

/** A page of an account's timeline, newest first; null when there is no such account. */
export async function accountTimeline(
  db: Db,
  workspaceId: string,
  externalId: string,
  query: TimelineQuery,
): Promise<TimelinePage | null> {
  const account = await findAccountRow(db, workspaceId, externalId);
  if (!account) return null;
  const after = query.cursor ? parseCursor(query.cursor) : undefined;
  const n = query.limit + 1;
  const sources = await Promise.all([
    eventEntries(db, account, after, n),
    touchEntries(db, account, after, n),
    stageEntries(db, account, after, n),
    healthEntries(db, account, after, n),
    escalationEntries(db, account, after, n),
  ]);
  const merged = sources
    .flat()
    .sort((x, y) => compareKeys(y.key, x.key))
    .slice(0, n);
  return toPage(
    merged,
    query.limit,
    (e) => [e.key.at.toISOString(), e.key.kind, e.key.id],
    (e) => e.item,
  );
}

function compareKeys(x: Key, y: Key): number {
  return (
    x.at.getTime() - y.at.getTime() ||
    (x.kind < y.kind ? -1 : x.kind > y.kind ? 1 : 0) ||
    (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)
  );
}

/** Postgres keeps microseconds, a cursor milliseconds: every kind is ordered by the time truncated. */
const ms = (column: unknown) => sql`date_trunc('milliseconds', ${column})`;

/** Rows of one kind that come after the cursor in (time desc, kind desc, id desc) order. */
function afterCursor(time: SQL, kind: Kind, id: unknown, c: Key | undefined): SQL | undefined {
  if (!c) return undefined;
  const cAt = sql`${c.at.toISOString()}::timestamptz`;
  if (kind < c.kind) return sql`${time} <= ${cAt}`;
  if (kind > c.kind) return sql`${time} < ${cAt}`;
  return sql`(${time} < ${cAt} or (${time} = ${cAt} and ${id}::text collate "C" < ${c.id}))`;
}

function newestFirst(time: SQL, id: unknown) {
  return [desc(time), sql`${id}::text collate "C" desc`];
}

function keyOf(kind: Kind, time: Date, id: string | number): Key {
  return { at: new Date(time.getTime()), kind, id: String(id) };
}

async function eventEntries(db: Db, account: AccountRow, c: Key | undefined, n: number): Promise<Entry[]> {
  const time = ms(events.occurredAt);
  const rows = await db
    .select({ event: events, contact: contacts.externalId })
    .from(events)
    .leftJoin(contacts, eq(contacts.id, events.contactId))
    .where(and(eq(events.accountId, account.id), afterCursor(time, "event", events.id, c)))
    .orderBy(...newestFirst(time, events.id))
    .limit(n);
  return rows.map(({ event: e, contact }) => ({
    key: keyOf("event", e.occurredAt, e.id),
    item: {
      type: "event",
      id: e.id,
      at: e.occurredAt.toISOString(),
      name: e.name,
      contact,
      properties: e.properties,
    },
  }));
}

async function touchEntries(db: Db, account: AccountRow, c: Key | undefined, n: number): Promise<Entry[]> {
  const time = ms(touches.createdAt);
  const rows = await db
    .select({ touch: touches, journey: journeys.key })
    .from(touches)
    .innerJoin(enrollments, eq(enrollments.id, touches.enrollmentId))
    .innerJoin(journeys, eq(journeys.id, enrollments.journeyId))
    .where(and(eq(enrollments.accountId, account.id), afterCursor(time, "touch", touches.id, c)))
    .orderBy(...newestFirst(time, touches.id))
    .limit(n);
  const tracked = await trackingOf(
    db,
    account,
    rows.map((r) => r.touch.enrollmentId),
  );
  return rows.map(({ touch: t, journey }) => {
    const seen = tracked.get(`${t.enrollmentId}\u0000${t.touchKey}`);
    const delivery = t.delivery as { recipients?: unknown };
    return {
      key: keyOf("touch", t.createdAt, t.id),
      item: {
        type: "touch",
        id: t.id,
        at: t.createdAt.toISOString(),
        journey,
        stepId: t.stepId,
        channel: t.channel,
        template: t.template,
        status: t.status,
        reason: t.reason,
        recipients: Array.isArray(delivery.recipients) ? delivery.recipients.map(String) : [],
        opens: seen?.opens ?? 0,
        clicks: seen?.clicks ?? 0,
        lastOpenedAt: seen?.lastOpenedAt ?? null,
        lastClickedAt: seen?.lastClickedAt ?? null,
      },
    };
  });
}

type Tracked = { opens: number; clicks: number; lastOpenedAt: string | null; lastClickedAt: string | null };

/** Opens and clicks of the touches of these runs: the tracking events name their run and touch key. */
async function trackingOf(
  db: Db,
  account: AccountRow,
  enrollmentIds: string[],
): Promise<Map<string, Tracked>> {
  const found = new Map<string, Tracked>();
  if (enrollmentIds.length === 0) return found;
  const enrollment = sql<string>`${events.properties}->>'enrollmentId'`;
  const touchKey = sql<string>`${events.properties}->>'touchKey'`;
  const rows = await db
    .select({
      enrollment,
      touchKey,
      name: events.name,
      count: sql<number>`count(*)::int`,
      last: sql<string>`max(${events.occurredAt})`,
    })
    .from(events)
    .where(
      and(
        eq(events.accountId, account.id),
        inArray(events.name, ["message_opened", "message_clicked"]),
        inArray(enrollment, [...new Set(enrollmentIds)]),
      ),
    )
    .groupBy(enrollment, touchKey, events.name);
  for (const r of rows) {
    const key = `${r.enrollment}\u0000${r.touchKey}`;
    const t = found.get(key) ?? { opens: 0, clicks: 0, lastOpenedAt: null, lastClickedAt: null };
    const last = new Date(r.last).toISOString();
    if (r.name === "message_opened") Object.assign(t, { opens: r.count, lastOpenedAt: last });
    else Object.assign(t, { clicks: r.count, lastClickedAt: last });
    found.set(key, t);
  }
  return found;
}

/** Recorded stage changes, and the stage the account was created in (keyed by the account's id). */
async function stageEntries(db: Db, account: AccountRow, c: Key | undefined, n: number): Promise<Entry[]> {
  const time = ms(stageChanges.at);
  const rows = await db
    .select()
    .from(stageChanges)
    .where(and(eq(stageChanges.accountId, account.id), afterCursor(time, "stage_change", stageChanges.id, c)))
    .orderBy(...newestFirst(time, stageChanges.id))
    .limit(n);
  const [first] = await db
    .select({ from: stageChanges.fromStage })
    .from(stageChanges)
    .where(eq(stageChanges.accountId, account.id))
    .orderBy(stageChanges.at)
    .limit(1);
  const created: Entry = {
    key: keyOf("stage_change", account.createdAt, account.id),
    item: {
      type: "stage_change",
      id: account.id,
      at: account.createdAt.toISOString(),
      from: null,
      to: first?.from ?? account.lifecycleStage,
    },
  };
  const entries: Entry[] = rows.map((r) => ({
    key: keyOf("stage_change", r.at, r.id),
    item: { type: "stage_change", id: r.id, at: r.at.toISOString(), from: r.fromStage, to: r.toStage },
  }));
  return !c || compareKeys(created.key, c) < 0 ? [...entries, created] : entries;
}

/** Scoring runs that changed the score or the band (the first one too). */
async function healthEntries(db: Db, account: AccountRow, c: Key | undefined, n: number): Promise<Entry[]> {
  const scored = db
    .select({
      id: accountHealth.id,
      computedAt: accountHealth.computedAt,
      score: accountHealth.score,
      band: accountHealth.band,
      previousScore: sql<
        number | null
      >`lag(${accountHealth.score}) over (order by ${accountHealth.computedAt})`.as("previous_score"),
      previousBand: sql<
        "red" | "yellow" | "green" | null
      >`lag(${accountHealth.band}) over (order by ${accountHealth.computedAt})`.as("previous_band"),
    })
    .from(accountHealth)
    .where(eq(accountHealth.accountId, account.id))
    .as("scored");
  const time = ms(scored.computedAt);
  const rows = await db
    .select()
    .from(scored)
    .where(
      and(
        or(
          isNull(scored.previousScore),
          ne(scored.score, scored.previousScore),
          ne(scored.band, scored.previousBand),
        ),
        afterCursor(time, "health_change", scored.id, c),
      ),
    )
    .orderBy(...newestFirst(time, scored.id))
    .limit(n);
  return rows.map((r) => ({
    key: keyOf("health_change", r.computedAt, r.id),
    item: {
      type: "health_change",
      id: String(r.id),
      at: r.computedAt.toISOString(),
      score: r.score,
      band: r.band,
      previousScore: r.previousScore,
      previousBand: r.previousBand,
    },
  }));
}

async function escalationEntries(
  db: Db,
  account: AccountRow,
  c: Key | undefined,
  n: number,
): Promise<Entry[]> {
  const time = ms(escalations.createdAt);
  const rows = await db
    .select()
    .from(escalations)
    .where(and(eq(escalations.accountId, account.id), afterCursor(time, "escalation", escalations.id, c)))
    .orderBy(...newestFirst(time, escalations.id))
    .limit(n);
  return rows.map((e) => ({
    key: keyOf("escalation", e.createdAt, e.id),
    item: {
      type: "escalation",
      id: e.id,
      at: e.createdAt.toISOString(),
      reason: e.reason,
      priority: e.priority,
      status: e.status,
      assignee: e.assignee,
      dueAt: e.dueAt.toISOString(),
      resolvedAt: e.resolvedAt?.toISOString() ?? null,
    },
  }));
}
