import { and, eq, sql } from "drizzle-orm";
import { enrollments, touches } from "../../../db/schema/index";
import { contactsChangedSignal } from "../../../workflows/contracts";
import type { Services } from "../shared/services";

/** What waking runs needs: the database, Temporal, and where a failure is told. */
export type WakeDeps = Pick<Services, "db" | "client" | "log">;

/**
 * Contacts were saved for an account: wakes its runs whose touch waits for recipients
 * (delivery/recipient-wait.ts), so the welcome goes out in seconds, not at the wait's bound. Never
 * throws: the contacts are stored, and a run that is not woken still looks again at its bound.
 */
export async function wakeRunsWaitingForContacts(deps: WakeDeps, accountId: string): Promise<number> {
  try {
    const waiting = await deps.db
      .selectDistinct({ workflowId: enrollments.workflowId })
      .from(enrollments)
      .innerJoin(touches, eq(touches.enrollmentId, enrollments.id))
      .where(
        and(
          eq(enrollments.accountId, accountId),
          eq(enrollments.status, "active"),
          eq(touches.status, "pending"),
          sql`${touches.delivery} -> 'waitingForRecipients' is not null`,
        ),
      );
    let woken = 0;
    for (const { workflowId } of waiting) {
      try {
        await deps.client.workflow.getHandle(workflowId).signal(contactsChangedSignal);
        woken++;
      } catch (err) {
        // The run closed since the query: nothing waits any more.
        if ((err as Error).name !== "WorkflowNotFoundError") throw err;
      }
    }
    return woken;
  } catch (err) {
    deps.log.error("could not wake the runs waiting for this account's contacts", {
      accountId,
      error: err,
    });
    return 0;
  }
}
