import { and, eq, getTableColumns, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts } from "../../../db/schema/index";
import { wakeRunsWaitingForContacts } from "../enrollments/wake-for-contacts";
import { attributesProblem } from "../shared/validators";
import { type Account, type AccountInput, type AccountPatch, toAccount } from "./accounts";
import { changeStage, type StageChange, type StageDeps, startStageJourneys } from "./change-stage";
import { upsertContacts } from "./contacts";

/**
 * Creates or replaces an account, and its `contacts` if given, in one transaction. Its stage goes through `changeStage`, so
 * `change.entered` says whether it entered one: a new account enters its stage, a replaced one only
 * when the stage changed. Starts no journeys (`putAccount` does).
 */
export async function upsertAccount(
  db: Db,
  workspaceId: string,
  externalId: string,
  input: AccountInput,
  at: Date,
): Promise<{ account: Account; created: boolean; change: StageChange }> {
  const values = {
    name: input.name,
    tier: input.tier,
    arr: input.arr ?? null,
    licenses: input.licenses ?? null,
    contractStart: input.contractStart ?? null,
    renewalDate: input.renewalDate ?? null,
    ownerCsm: input.ownerCsm ?? null,
    timezone: input.timezone ?? null,
    attributes: input.attributes,
  };
  return db.transaction(async (tx) => {
    // A replaced account keeps its stage here; `changeStage` below moves it under the row's lock.
    const [row] = await tx
      .insert(accounts)
      .values({ workspaceId, externalId, ...values, lifecycleStage: input.lifecycleStage })
      .onConflictDoUpdate({
        target: [accounts.workspaceId, accounts.externalId],
        set: { ...values, updatedAt: at },
      })
      .returning({ ...getTableColumns(accounts), created: sql<boolean>`(xmax = 0)` });
    if (!row) throw new Error("account upsert returned nothing");
    // With the account, so the journeys its stage starts find them (a CRM sync sends both at once).
    await upsertContacts(tx as unknown as Db, row, input.contacts ?? [], at);
    const { created, ...inserted } = row;
    const change: StageChange | null = created
      ? { account: inserted, from: null, entered: true }
      : await changeStage(
          { db: tx as unknown as Db },
          { workspaceId, accountId: row.id, stage: input.lifecycleStage, at },
        );
    if (!change) throw new Error("account vanished inside its upsert");
    return { account: toAccount(change.account), created: Boolean(created), change };
  });
}

/**
 * PUT of an account: creates or replaces it, and starts the journeys of the stage it entered (a new
 * account enters its `lifecycleStage`; a replaced one only when the stage changed, as PATCH). Its
 * `contacts` are saved with it and wake the account's runs waiting for recipients.
 */
export async function putAccount(
  deps: StageDeps,
  workspaceId: string,
  externalId: string,
  input: AccountInput,
  at: Date,
): Promise<{ account: Account; created: boolean }> {
  const { account, created, change } = await upsertAccount(deps.db, workspaceId, externalId, input, at);
  await startStageJourneys(deps, change);
  if (input.contacts?.length) await wakeRunsWaitingForContacts(deps, change.account.id);
  return { account, created };
}

export type PatchAccountResult =
  | { ok: true; account: Account }
  | { ok: false; refusal: "not_found" }
  | { ok: false; refusal: "invalid"; pointer: string; detail: string };

/**
 * PATCH of an account: any subset of its fields, `attributes` merged key by key, in one transaction
 * under the row's lock; a new stage goes through `changeStage` and starts its journeys. The merged
 * attributes are held to the same limits as a PUT's, or many small patches would grow them unbounded.
 */
export async function patchAccount(
  deps: StageDeps,
  workspaceId: string,
  externalId: string,
  patch: AccountPatch,
  at: Date,
): Promise<PatchAccountResult> {
  const { attributes, lifecycleStage, ...rest } = patch;
  let tooBig: string | undefined;
  const change = await deps.db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(accounts)
      .where(and(eq(accounts.workspaceId, workspaceId), eq(accounts.externalId, externalId)))
      .for("update");
    if (!current) return null;
    const merged = attributes && { ...current.attributes, ...attributes };
    tooBig = merged && attributesProblem(merged);
    if (tooBig) return null;
    const [updated] = await tx
      .update(accounts)
      .set({
        ...rest,
        ...(merged ? { attributes: merged } : {}),
        updatedAt: at,
      })
      .where(eq(accounts.id, current.id))
      .returning();
    if (!updated) throw new Error("account update returned nothing");
    if (!lifecycleStage) return { account: updated, from: updated.lifecycleStage, entered: false };
    return changeStage(
      { db: tx as unknown as Db },
      { workspaceId, accountId: current.id, stage: lifecycleStage, at },
    );
  });
  if (tooBig) return { ok: false, refusal: "invalid", pointer: "/attributes", detail: tooBig };
  if (!change) return { ok: false, refusal: "not_found" };
  await startStageJourneys(deps, change);
  return { ok: true, account: toAccount(change.account) };
}
