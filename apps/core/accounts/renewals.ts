import { and, asc, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { accounts, renewalOutcomes, renewals } from "../../../db/schema/index";
import { IsoDate, MAX_AMOUNT } from "../shared/validators";
import { findAccountRow, Tier } from "./accounts";
import { changeStage, type StageDeps, startStageJourneys } from "./change-stage";

/** Renewal outcomes: what happened at each renewal of an account (retention.ts reports on them). */

export const RenewalOutcome = z.enum(renewalOutcomes).meta({ id: "RenewalOutcome" });

const Arr = z.number().nonnegative().max(MAX_AMOUNT);

export const RenewalInput = z
  .strictObject({
    arrBefore: Arr.optional().meta({
      description: "ARR up for renewal; default: the account's current ARR (or the earlier record's)",
    }),
    arrAfter: Arr.meta({ description: "ARR after the renewal; 0 when the account churned" }),
    outcome: RenewalOutcome.optional().meta({
      description: "Derived from the two ARRs when omitted; when given it must agree with them",
    }),
    notes: z.string().max(4000).nullable().optional(),
    nextRenewalDate: IsoDate.optional().meta({ description: "Sets the account's next renewal date" }),
  })
  .meta({ id: "RenewalInput" });
export type RenewalInput = z.infer<typeof RenewalInput>;

export const Renewal = z
  .object({
    account: z.string(),
    renewalDate: z.string(),
    tier: Tier,
    outcome: RenewalOutcome,
    arrBefore: z.number(),
    arrAfter: z.number(),
    notes: z.string().nullable(),
    recordedAt: z.string(),
  })
  .meta({ id: "Renewal" });
export type Renewal = z.infer<typeof Renewal>;

export function outcomeOf(before: number, after: number): z.infer<typeof RenewalOutcome> {
  if (after === 0) return "churned";
  if (after > before) return "expanded";
  if (after < before) return "contracted";
  return "renewed";
}

export type RecordResult =
  | { ok: true; renewal: Renewal }
  | { ok: false; refusal: "not_found" }
  | { ok: false; refusal: "invalid"; errors: { pointer: string; message: string }[] };

/**
 * Records (or corrects) the outcome of one renewal, idempotent by (account, renewal date), and moves
 * the account on in the same transaction: its ARR becomes the renewed ARR, its next renewal date is
 * set when given, and a churned account enters the `churned` stage (whose journeys then start).
 */
export async function recordRenewal(
  deps: StageDeps,
  workspaceId: string,
  externalId: string,
  renewalDate: string,
  input: RenewalInput,
  at: Date,
): Promise<RecordResult> {
  const { db } = deps;
  const account = await findAccountRow(db, workspaceId, externalId);
  if (!account) return { ok: false, refusal: "not_found" };
  const [earlier] = await db
    .select()
    .from(renewals)
    .where(and(eq(renewals.accountId, account.id), eq(renewals.renewalDate, renewalDate)));
  const arrBefore = input.arrBefore ?? earlier?.arrBefore ?? account.arr;
  if (arrBefore === null || arrBefore === undefined)
    return {
      ok: false,
      refusal: "invalid",
      errors: [{ pointer: "/arrBefore", message: "required: the account has no ARR to start from" }],
    };
  const derived = outcomeOf(arrBefore, input.arrAfter);
  if (input.outcome && input.outcome !== derived)
    return {
      ok: false,
      refusal: "invalid",
      errors: [
        {
          pointer: "/outcome",
          message: `"${input.outcome}" does not match ARR ${arrBefore} → ${input.arrAfter}, which is "${derived}"`,
        },
      ],
    };
  const values = {
    tier: earlier?.tier ?? account.tier,
    outcome: derived,
    arrBefore,
    arrAfter: input.arrAfter,
    notes: input.notes ?? null,
  };
  const { row, churn } = await db.transaction(async (tx) => {
    await tx
      .update(accounts)
      .set({
        arr: input.arrAfter,
        ...(input.nextRenewalDate ? { renewalDate: input.nextRenewalDate } : {}),
        updatedAt: at,
      })
      .where(eq(accounts.id, account.id));
    const [row] = await tx
      .insert(renewals)
      .values({ workspaceId, accountId: account.id, renewalDate, ...values })
      .onConflictDoUpdate({
        target: [renewals.accountId, renewals.renewalDate],
        set: { ...values, updatedAt: at },
      })
      .returning();
    const churn =
      derived === "churned"
        ? await changeStage(
            { db: tx as unknown as Db },
            { workspaceId, accountId: account.id, stage: "churned", at },
          )
        : null;
    return { row, churn };
  });
  if (!row) throw new Error("renewal upsert returned nothing");
  if (churn) await startStageJourneys(deps, churn);
  return { ok: true, renewal: toRenewal(row, account.externalId) };
}

function toRenewal(row: typeof renewals.$inferSelect, externalId: string): Renewal {
  return {
    account: externalId,
    renewalDate: row.renewalDate,
    tier: row.tier,
    outcome: row.outcome,
    arrBefore: row.arrBefore,
    arrAfter: row.arrAfter,
    notes: row.notes,
    recordedAt: row.updatedAt.toISOString(),
  };
}

/** An account's renewals, oldest first; null when there is no such account. */
export async function listRenewals(
  db: Db,
  workspaceId: string,
  externalId: string,
): Promise<Renewal[] | null> {
  const account = await findAccountRow(db, workspaceId, externalId);
  if (!account) return null;
  const rows = await db
    .select()
    .from(renewals)
    .where(eq(renewals.accountId, account.id))
    .orderBy(asc(renewals.renewalDate));
  return rows.map((r) => toRenewal(r, account.externalId));
}
