import { sql } from "drizzle-orm";
import { builtOnce, type Db } from "../../../db/client";
import type { Logger } from "../../logger";

/** How a reserved send ended: accepted by the transport (with its Message-ID), or failed for good. */
export type SendResult = { status: "sent"; messageId?: string } | { status: "failed"; reason: string };

/** How a touch ended, as its row will say. */
export type TouchSettlement = {
  status: "sent" | "skipped" | "failed";
  reason: string | null;
  delivery: Record<string, unknown>;
  updatedAt: Date;
};

/** One trace entry as written: the interpreter's, or what an effect did, at its stable position. */
export type TraceRow = {
  at: string;
  stepId: string | null;
  kind: string;
  detail: Record<string, unknown>;
  position: number;
};

/** A transition's own record: its trace entries and the enrollment's state after it. */
export type TransitionRecord = {
  enrollmentId: string;
  transition: number;
  trace: TraceRow[];
  status: string;
  currentStep: string | null;
  goalReachedAt?: string;
  /** Set when the run finished: its listeners go, and the row says when and why. */
  finished?: { at: string; reason: string | null };
};

const p = sql.placeholder;

/**
 * The ids of JSON rows as a uuid[] for `= any(…)`. A prepared statement's generic plan takes a JSON
 * recordset for 100 rows and joins it by hash to a sequential scan of the whole table; the ids as an
 * array keep it on the primary key however large the table grows.
 */
function idsOf(rows: ReturnType<typeof sql.placeholder>) {
  return sql`array(select (e->>'id')::uuid from jsonb_array_elements(${rows}::jsonb) e)`;
}

/**
 * The settlements as data-modifying CTEs over JSON rows: a reservation pending → sent (its
 * Message-ID) or failed (why); a touch's status, reason and delivery.
 */
function settlementCtes(db: Db) {
  const sends = db.$with("sends", {}).as(sql`
    update contact_sends c set status = r.status,
      message_id = case when r.status = 'sent' then r.message_id else c.message_id end,
      reason = case when r.status = 'failed' then r.reason else c.reason end
    from jsonb_to_recordset(${p("sends")}::jsonb) as r(id uuid, status text, message_id text, reason text)
    where c.id = r.id and c.id = any(${idsOf(p("sends"))})`);
  const settled = db.$with("settled", { id: sql<string>`id` }).as(sql`
    update touches t set status = r.status, reason = r.reason, delivery = r.delivery, updated_at = r.updated_at
    from jsonb_to_recordset(${p("touches")}::jsonb) as r(id uuid, status text, reason text, delivery jsonb,
      updated_at timestamptz)
    where t.id = r.id and t.id = any(${idsOf(p("touches"))})
    returning t.id`);
  return { sends, settled };
}

/** The settlements alone: before a message leaves, what the earlier ones did is saved. */
const settlementsWrite = builtOnce((db) => {
  const { sends, settled } = settlementCtes(db);
  return db
    .with(sends, settled)
    .select({ n: sql<number>`count(*)::int` })
    .from(settled)
    .prepare("settle_touches");
});

/**
 * The settlements, the trace and the enrollment's state in one statement, each part a data-modifying
 * CTE. Its rows are JSON parameters, so the text never changes: built once, prepared once per connection.
 */
const transitionWrite = builtOnce((db) => {
  const { sends, settled } = settlementCtes(db);
  const enrollmentId = sql`${p("enrollmentId")}::uuid`;
  const traced = db.$with("traced", {}).as(sql`
    insert into enrollment_trace (enrollment_id, transition, position, at, step_id, kind, detail)
    select ${enrollmentId}, ${p("transition")}::int, r.position, r.at, r.step_id, r.kind, r.detail
    from jsonb_to_recordset(${p("trace")}::jsonb) as r(position int, at timestamptz, step_id text, kind text,
      detail jsonb)
    on conflict do nothing`);
  const unlistened = db.$with("unlistened", {}).as(sql`
    delete from enrollment_listeners where ${p("finished")}::boolean and enrollment_id = ${enrollmentId}`);
  const state = db.$with("state", { id: sql<string>`id` }).as(sql`
    update enrollments set status = ${p("status")}::text, current_step = ${p("currentStep")}::text,
      goal_reached_at = coalesce(${p("goalReachedAt")}::timestamptz, goal_reached_at),
      finished_at = case when ${p("finished")}::boolean then ${p("finishedAt")}::timestamptz else finished_at end,
      exit_reason = case when ${p("finished")}::boolean then ${p("exitReason")}::text else exit_reason end
    where id = ${enrollmentId}
    returning id`);
  return db
    .with(sends, settled, traced, unlistened, state)
    .select({ n: sql<number>`count(*)::int` })
    .from(state)
    .prepare("record_transition");
});

/**
 * Writes held back to go to the database as one statement: one round trip, and all or nothing
 * (docs/decisions/0044-touch-round-trips.md). A transition holds its touches' settlements here and
 * writes them with its trace and the enrollment's state. The statements are of one shape whatever
 * is held (decision 0045).
 */
export class WriteBatch {
  // By id, the last settlement wins: one statement must not update a row twice.
  readonly #sends = new Map<string, SendResult>();
  readonly #touches = new Map<string, TouchSettlement>();

  /** A reservation's settlement (pending → sent or failed), saved with the touch's own. */
  settleSend(id: string, result: SendResult): void {
    this.#sends.set(id, result);
  }

  /** How a touch ended. */
  settleTouch(id: string, settlement: TouchSettlement): void {
    this.#touches.set(id, settlement);
  }

  get pending(): boolean {
    return this.#sends.size > 0 || this.#touches.size > 0;
  }

  /** Runs what is held, with the transition's record (if any) in the same statement. */
  async flush(db: Db, record?: TransitionRecord): Promise<void> {
    if (!record && !this.pending) return;
    const held = this.#take();
    if (!record) {
      await settlementsWrite(db).execute(held);
      return;
    }
    await transitionWrite(db).execute({
      ...held,
      enrollmentId: record.enrollmentId,
      transition: record.transition,
      trace: JSON.stringify(
        record.trace.map((t) => ({
          position: t.position,
          at: t.at,
          step_id: t.stepId,
          kind: t.kind,
          detail: t.detail,
        })),
      ),
      finished: record.finished !== undefined,
      status: record.status,
      currentStep: record.currentStep,
      goalReachedAt: record.goalReachedAt ?? null,
      finishedAt: record.finished?.at ?? null,
      exitReason: record.finished?.reason ?? null,
    });
  }

  /**
   * After a failure: what is held happened (a message that left is settled), so it is written before
   * the error leaves and the retry finds it. A failing write is logged; the caller throws its own error.
   */
  async flushAfter(db: Db, failure: unknown, log?: Pick<Logger, "warn">): Promise<void> {
    await this.flush(db).catch((err: unknown) =>
      log?.warn("held writes lost after a failure", { err, failure: String(failure) }),
    );
  }

  /** The held settlements as the statements' JSON parameters, and the batch emptied. */
  #take(): { sends: string; touches: string } {
    const sends = [...this.#sends].map(([id, r]) => ({
      id,
      status: r.status,
      message_id: r.status === "sent" ? (r.messageId ?? null) : null,
      reason: r.status === "failed" ? r.reason : null,
    }));
    const touches = [...this.#touches].map(([id, t]) => ({
      id,
      status: t.status,
      reason: t.reason,
      delivery: t.delivery,
      updated_at: t.updatedAt.toISOString(),
    }));
    this.#sends.clear();
    this.#touches.clear();
    return { sends: JSON.stringify(sends), touches: JSON.stringify(touches) };
  }
}
