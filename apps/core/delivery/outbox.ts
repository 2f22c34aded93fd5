import { readFile } from "node:fs/promises";
import { and, desc, eq, inArray, lt, or } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { touches } from "../../../db/schema/index";
import { decodeTimeCursor, toPage } from "../shared/pagination";
import type { Refusal } from "../shared/refusal";
import { isUuid } from "../shared/uuid";

/** The dev outbox: emails and CSM notifications as they were sent, for a developer to read. */

export type OutboxMessage = {
  id: string;
  enrollmentId: string;
  touchKey: string;
  channel: "email" | "in_app" | "notification";
  template: string;
  recipients: string[];
  subject: string | null;
  status: string;
  reason: string | null;
  createdAt: string;
};

/** A workspace's emails and notifications, newest first, a page at a time. */
export async function listOutbox(
  db: Db,
  workspaceId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ data: OutboxMessage[]; nextCursor: string | null }> {
  const after = decodeTimeCursor(page.cursor);
  const rows = await db
    .select()
    .from(touches)
    .where(
      and(
        eq(touches.workspaceId, workspaceId),
        inArray(touches.channel, ["email", "notification"]),
        after
          ? or(
              lt(touches.createdAt, after.at),
              and(eq(touches.createdAt, after.at), lt(touches.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(touches.createdAt), desc(touches.id))
    .limit(page.limit + 1);
  return toPage(
    rows,
    page.limit,
    (t) => [t.createdAt.toISOString(), t.id],
    (t) => {
      const delivery = t.delivery as { recipients?: string[]; subject?: string | null };
      return {
        id: t.id,
        enrollmentId: t.enrollmentId,
        touchKey: t.touchKey,
        // The query takes emails and notifications only (not webhook steps' records).
        channel: t.channel as OutboxMessage["channel"],
        template: t.template,
        recipients: delivery.recipients ?? [],
        subject: delivery.subject ?? null,
        status: t.status,
        reason: t.reason,
        createdAt: t.createdAt.toISOString(),
      };
    },
  );
}

/** One message as sent: the raw MIME of its first outbox file. */
export async function outboxMessageFile(
  db: Db,
  workspaceId: string,
  id: string,
): Promise<{ ok: true; raw: Buffer } | { ok: false; refusal: Refusal }> {
  const notFound = { ok: false, refusal: "not_found" } as const;
  if (!isUuid(id)) return notFound;
  const [row] = await db
    .select()
    .from(touches)
    .where(and(eq(touches.workspaceId, workspaceId), eq(touches.id, id)));
  const file = (row?.delivery as { files?: string[] } | undefined)?.files?.[0];
  if (!file) return notFound;
  const raw = await readFile(file).catch(() => null);
  return raw ? { ok: true, raw } : notFound;
}
