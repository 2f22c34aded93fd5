import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import type { Logger } from "../../logger";

/**
 * Writes held back to go to the database as one statement, each a data-modifying CTE of the next:
 * one round trip, and all or nothing (docs/decisions/0044-touch-round-trips.md). A transition
 * holds its touches' settlements here and writes them with its trace and the enrollment's state.
 */
export class WriteBatch {
  readonly #writes: SQL[] = [];

  /** A drizzle insert, update or delete, not yet run. */
  add(write: { getSQL(): SQL }): void {
    this.#writes.push(write.getSQL());
  }

  get pending(): boolean {
    return this.#writes.length > 0;
  }

  /** Runs what is held, with `last` (if any) as the statement the others are CTEs of. */
  async flush(db: Db, last?: { getSQL(): SQL }): Promise<void> {
    const writes = this.#writes.splice(0);
    if (last) writes.push(last.getSQL());
    const final = writes.pop();
    if (!final) return;
    if (writes.length === 0) {
      await db.execute(final);
      return;
    }
    const ctes = writes.map((write, i) => sql`${sql.raw(`w${i}`)} as (${write})`);
    await db.execute(sql`with ${sql.join(ctes, sql`, `)} ${final}`);
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
}
