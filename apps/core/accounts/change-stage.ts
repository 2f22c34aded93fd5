import { and, eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, stageChanges } from "../../../db/schema/index";
import type { RuntimeDeps } from "../enrollments/runtime";
import { onStageEntered } from "../enrollments/triggers";
import type { Services } from "../shared/services";
import type { AccountRow, LifecycleStage } from "./accounts";

/** Which account: by its id (the worker) or by the externalId the API was given. */
export type StageTarget = { workspaceId: string; stage: LifecycleStage; at: Date } & (
  | { accountId: string }
  | { externalId: string }
);

/**
 * What a stage change did: the account's row as it is now, the stage it was in (null: it was just
 * created in this one), and whether it entered the stage. Only an account that entered a stage starts
 * that stage's journeys (`startStageJourneys`).
 */
export type StageChange = { account: AccountRow; from: LifecycleStage | null; entered: boolean };

/**
 * The one stage change: the API (PUT, PATCH), renewal churn and the journey `set_stage` step all go
 * through here. Locks the account's row, sets the stage and `updatedAt` when the stage differs, and
 * returns the row as it is now; null when there is no such account. Pass a transaction as `db` to make
 * it part of a larger write (it nests as a savepoint).
 */
export async function changeStage(deps: { db: Db }, target: StageTarget): Promise<StageChange | null> {
  const which =
    "accountId" in target ? eq(accounts.id, target.accountId) : eq(accounts.externalId, target.externalId);
  return deps.db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(accounts)
      .where(and(eq(accounts.workspaceId, target.workspaceId), which))
      .for("update");
    if (!current) return null;
    if (current.lifecycleStage === target.stage)
      return { account: current, from: current.lifecycleStage, entered: false };
    const [updated] = await tx
      .update(accounts)
      .set({ lifecycleStage: target.stage, updatedAt: target.at })
      .where(eq(accounts.id, current.id))
      .returning();
    if (!updated) throw new Error("account stage update returned nothing");
    // Kept for the account's timeline; the first stage is the account's creation.
    await tx.insert(stageChanges).values({
      workspaceId: target.workspaceId,
      accountId: current.id,
      fromStage: current.lifecycleStage,
      toStage: target.stage,
      at: target.at,
    });
    return { account: updated, from: current.lifecycleStage, entered: true };
  });
}

/** What starting a stage's journeys needs, and where a failure is told. */
export type StageDeps = RuntimeDeps & Pick<Services, "log">;

/**
 * Entering a lifecycle stage starts the journeys triggered by it. For the API and renewals: the
 * account write is kept even if Temporal cannot be reached; the failure is logged with the account
 * and stage. (The `set_stage` step calls `onStageEntered` itself, so its activity retries instead,
 * and a retry starts them again: apps/core/enrollments/transition.ts.)
 */
export async function startStageJourneys(deps: StageDeps, change: StageChange): Promise<void> {
  if (!change.entered) return;
  const { workspaceId, id, externalId, lifecycleStage: stage } = change.account;
  try {
    await onStageEntered(deps, workspaceId, id, stage);
  } catch (err) {
    deps.log.error("could not start stage_entered journeys", {
      workspaceId,
      externalId,
      stage,
      error: err,
    });
  }
}
