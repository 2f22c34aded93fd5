import { and, asc, eq } from "drizzle-orm";
import {
  accounts,
  enrollmentListeners,
  enrollments,
  journeys,
  journeyVersions,
} from "../../../db/schema/index";
import { mayEnter } from "../../../workflows/journey/entry";
import { JourneyDefinition } from "../../../workflows/journey/schema";
import { eventsOfInterest } from "../../../workflows/journey/simulate";
import { journeyWorkflowId } from "../../../workflows/journey-run";
import { loadFacts } from "../accounts/facts";
import type { Refusal } from "../shared/refusal";
import { RunOfAnotherEnrollment, type RuntimeDeps, runOwner, startEnrollmentRun } from "./runtime";
import { type Enrollment, toEnrollment } from "./schemas";

export type EnrollOutcome =
  | { enrolled: true; enrollment: Enrollment }
  | { enrolled: false; reason: string; code: "not_found" | "not_live" | "refused" | "duplicate" };

/**
 * Enrolls an account in the latest version of a live journey: audience and re-entry rules first,
 * then one row (unique per journey, account and entry) and one workflow with a deterministic id,
 * so a duplicate trigger — concurrent or repeated — never makes a second run.
 */
export async function enroll(
  deps: RuntimeDeps,
  input: { workspaceId: string; journeyId: string; accountId: string; trigger: string; at?: Date },
): Promise<EnrollOutcome> {
  const { db } = deps;
  const at = input.at ?? new Date();
  const [journey] = await db
    .select()
    .from(journeys)
    .where(and(eq(journeys.workspaceId, input.workspaceId), eq(journeys.id, input.journeyId)));
  if (!journey) return { enrolled: false, code: "not_found", reason: "no such journey" };
  if ((journey.status !== "active" && journey.status !== "paused") || journey.latestVersion === null) {
    return {
      enrolled: false,
      code: "not_live",
      reason: `journey is ${journey.status}${journey.latestVersion === null ? " and unpublished" : ""}`,
    };
  }
  const [version] = await db
    .select()
    .from(journeyVersions)
    .where(
      and(eq(journeyVersions.journeyId, journey.id), eq(journeyVersions.version, journey.latestVersion)),
    );
  const [account] = await db
    .select()
    .from(accounts)
    .where(and(eq(accounts.workspaceId, input.workspaceId), eq(accounts.id, input.accountId)));
  if (!version || !account) return { enrolled: false, code: "not_found", reason: "no such account" };
  const definition = JourneyDefinition.parse(version.definition);

  const past = await db
    .select({
      enteredAt: enrollments.enteredAt,
      finishedAt: enrollments.finishedAt,
      entry: enrollments.entry,
    })
    .from(enrollments)
    .where(and(eq(enrollments.journeyId, journey.id), eq(enrollments.accountId, account.id)))
    .orderBy(asc(enrollments.entry));
  const facts = await loadFacts(db, input.workspaceId, account.id, at.toISOString());
  const decision = mayEnter(
    definition,
    { tier: account.tier, stage: account.lifecycleStage, facts },
    past.map((p) => ({
      enteredAt: p.enteredAt.toISOString(),
      finishedAt: p.finishedAt?.toISOString() ?? null,
    })),
    at.toISOString(),
  );
  if (!decision.enter) {
    return {
      enrolled: false,
      code: decision.reason === "already enrolled" ? "duplicate" : "refused",
      reason: decision.reason,
    };
  }

  const entry = (past.at(-1)?.entry ?? 0) + 1;
  const workflowId = journeyWorkflowId(input.workspaceId, journey.key, account.externalId, entry);
  const inserted = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(enrollments)
      .values({
        workspaceId: input.workspaceId,
        journeyId: journey.id,
        journeyVersionId: version.id,
        version: version.version,
        accountId: account.id,
        entry,
        workflowId,
        trigger: input.trigger,
        enteredAt: at,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) return null;
    const names = [...eventsOfInterest(definition)];
    if (names.length > 0) {
      await tx
        .insert(enrollmentListeners)
        .values(names.map((eventName) => ({ enrollmentId: row.id, accountId: account.id, eventName })))
        .onConflictDoNothing();
    }
    return row;
  });
  if (!inserted) return { enrolled: false, code: "duplicate", reason: "already enrolled" };

  try {
    await startEnrollmentRun(deps, inserted);
  } catch (err) {
    // A start that timed out may still have happened: then the run is this enrollment's.
    if ((await runOwner(deps, inserted.workflowId)) !== inserted.id) {
      // No run, no enrollment: the trigger may be retried.
      await db.delete(enrollments).where(eq(enrollments.id, inserted.id));
      if (err instanceof RunOfAnotherEnrollment)
        return { enrolled: false, code: "refused", reason: err.message };
      throw err;
    }
  }
  return {
    enrolled: true,
    enrollment: toEnrollment({ e: inserted, journeyKey: journey.key, accountExternalId: account.externalId }),
  };
}

export type EnrollByKeys =
  | { ok: true; enrollment: Enrollment }
  | { ok: false; refusal: Extract<Refusal, "not_found">; problems: { pointer: string; message: string }[] }
  | {
      ok: false;
      refusal: Extract<Refusal, "conflict">;
      code: Extract<EnrollOutcome, { enrolled: false }>["code"];
      reason: string;
    };

/** A manual enrollment (the API's POST /enrollments): journey by key, account by externalId. */
export async function enrollByKeys(
  deps: RuntimeDeps,
  input: { workspaceId: string; journey: string; account: string },
): Promise<EnrollByKeys> {
  const { db } = deps;
  const [journey] = await db
    .select({ id: journeys.id })
    .from(journeys)
    .where(and(eq(journeys.workspaceId, input.workspaceId), eq(journeys.key, input.journey)));
  const [account] = await db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, input.workspaceId), eq(accounts.externalId, input.account)));
  if (!journey || !account) {
    return {
      ok: false,
      refusal: "not_found",
      problems: [
        ...(journey ? [] : [{ pointer: "/journey", message: `no journey "${input.journey}"` }]),
        ...(account ? [] : [{ pointer: "/account", message: `no account "${input.account}"` }]),
      ],
    };
  }
  const outcome = await enroll(deps, {
    workspaceId: input.workspaceId,
    journeyId: journey.id,
    accountId: account.id,
    trigger: "manual",
  });
  return outcome.enrolled
    ? { ok: true, enrollment: outcome.enrollment }
    : { ok: false, refusal: "conflict", code: outcome.code, reason: outcome.reason };
}
