import { and, eq, sql } from "drizzle-orm";
import { builtOnce, type Db } from "../../../db/client";
import { touches } from "../../../db/schema/index";
import type { Services } from "../shared/services";
import type { Decision } from "./decide";
import type { WriteBatch } from "./write-batch";

/**
 * The idempotency record of a touch. The `touches` row, unique on (enrollment, touch key), is claimed
 * before anything is sent: a retried activity or a replayed workflow finds it and sends nothing twice.
 */

export type TouchOutcome = {
  status: "sent" | "skipped" | "failed" | "deferred" | "held";
  /** Why the touch is not sent (held: `journey_paused`). */
  reason?: string;
  /** When deferred (quiet hours, or waiting for its recipients): call again at this time. */
  until?: string;
  /** The arbiter's decision for every recipient. */
  decisions?: Decision[];
  recipients: string[];
  duplicate: boolean;
  messageIds: string[];
};

export type TouchRow = typeof touches.$inferSelect;

export function outcomeOf(row: TouchRow, duplicate: boolean): TouchOutcome {
  const delivery = row.delivery as { recipients?: string[]; messageIds?: string[] };
  return {
    status: row.status === "sent" || row.status === "skipped" ? row.status : "failed",
    ...(row.reason ? { reason: row.reason } : {}),
    recipients: delivery.recipients ?? [],
    duplicate,
    messageIds: delivery.messageIds ?? [],
  };
}

/**
 * Claims the touch key; returns the existing row when it was already carried out. `fresh`: this call
 * created the row, so no attempt before it reached anyone. `ending`: a touch known not to be sent
 * (a notification with nobody to tell) is claimed already settled, in the same statement.
 */
export async function claim(
  db: Db,
  values: Pick<
    typeof touches.$inferInsert,
    "workspaceId" | "enrollmentId" | "touchKey" | "stepId" | "channel" | "template" | "recipient"
  >,
  ending?: { status: Ending; reason: string },
): Promise<{ done: TouchRow | null; row: TouchRow; fresh: boolean }> {
  const [created] = await claimInsert(db).execute({
    ...values,
    status: ending?.status ?? "pending",
    reason: ending?.reason ?? null,
  });
  if (created) return { done: null, row: created, fresh: true };
  const [row] = await db
    .select()
    .from(touches)
    .where(and(eq(touches.enrollmentId, values.enrollmentId), eq(touches.touchKey, values.touchKey)));
  if (!row) throw new Error(`touch ${values.touchKey} vanished`);
  // `pending` means an earlier attempt stopped half-way: redo it (file names are deterministic).
  return { done: row.status === "pending" ? null : row, row, fresh: false };
}

/** The claim: every touch makes one, so it is built once and prepared (decision 0045). */
const claimInsert = builtOnce((db) => {
  const p = sql.placeholder;
  return db
    .insert(touches)
    .values({
      workspaceId: p("workspaceId"),
      enrollmentId: p("enrollmentId"),
      touchKey: p("touchKey"),
      stepId: p("stepId"),
      channel: p("channel"),
      template: p("template"),
      recipient: p("recipient"),
      status: p("status"),
      reason: p("reason"),
    })
    .onConflictDoNothing({ target: [touches.enrollmentId, touches.touchKey] })
    .returning()
    .prepare("touch_claim");
});

type Ending = "sent" | "skipped" | "failed";

/** How a touch ended, written at once (built once and prepared). */
const settleUpdate = builtOnce((db) => {
  const p = sql.placeholder;
  return db
    .update(touches)
    .set({
      status: sql`${p("status")}::text`,
      reason: sql`${p("reason")}::text`,
      delivery: sql`${p("delivery")}::jsonb`,
      updatedAt: sql`${p("updatedAt")}::timestamptz`,
    })
    .where(eq(touches.id, p("id")))
    .returning()
    .prepare("touch_settle");
});

/** Records how the touch ended. */
export async function settle(
  deps: Pick<Services, "db" | "clock">,
  row: TouchRow,
  status: Ending,
  reason: string | null,
  delivery: Record<string, unknown>,
): Promise<TouchOutcome> {
  const [updated] = await settleUpdate(deps.db).execute({
    id: row.id,
    status,
    reason,
    delivery: JSON.stringify(delivery),
    updatedAt: deps.clock.now().toISOString(),
  });
  return outcomeOf(updated ?? row, false);
}

/**
 * How the touch ended, held in `batch` to be written with the rest of its transition (write-batch.ts);
 * the outcome is what the row will say.
 */
export function settleLater(
  deps: Pick<Services, "db" | "clock">,
  batch: WriteBatch,
  row: TouchRow,
  status: Ending,
  reason: string | null,
  delivery: Record<string, unknown>,
): TouchOutcome {
  batch.settleTouch(row.id, { status, reason, delivery, updatedAt: deps.clock.now() });
  return outcomeOf({ ...row, status, reason, delivery }, false);
}

/** Keeps a deferred touch pending with what it did so far; the run calls again later. */
export async function keepPending(
  deps: Pick<Services, "db" | "clock">,
  row: TouchRow,
  delivery: Record<string, unknown>,
): Promise<void> {
  await deps.db.update(touches).set({ delivery, updatedAt: deps.clock.now() }).where(eq(touches.id, row.id));
}
