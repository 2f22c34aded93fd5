import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, enrollments, journeys, journeyVersions } from "../../../db/schema/index";
import { JourneyDefinition } from "../../../workflows/journey/schema";
import { type EnrollOutcome, enrollMany } from "./enroll";
import type { RuntimeDeps } from "./runtime";

/** Live journeys (active or paused, published) whose trigger matches, via their latest version. */
export async function journeysTriggeredBy(
  db: Db,
  workspaceId: string,
  trigger: Record<string, string | number>,
): Promise<{ id: string; definition: JourneyDefinition }[]> {
  const rows = await db
    .select({ id: journeys.id, definition: journeyVersions.definition })
    .from(journeys)
    .innerJoin(
      journeyVersions,
      and(eq(journeyVersions.journeyId, journeys.id), eq(journeyVersions.version, journeys.latestVersion)),
    )
    .where(
      and(
        eq(journeys.workspaceId, workspaceId),
        inArray(journeys.status, ["active", "paused"]),
        sql`${journeyVersions.definition}->'trigger' @> ${JSON.stringify(trigger)}::jsonb`,
      ),
    );
  return rows.map((r) => ({ id: r.id, definition: JourneyDefinition.parse(r.definition) }));
}

/**
 * Enrolls accounts in every live journey whose trigger contains `trigger`: journeys read once, then
 * each journey's accounts set-based (see enrollMany). One outcome per journey and account. Runs that
 * cannot start because Temporal is away are started when it is back (startAwaitingRuns).
 */
async function enrollWhereTriggered(
  deps: RuntimeDeps,
  workspaceId: string,
  accountIds: string[],
  trigger: Record<string, string>,
  label: string,
): Promise<EnrollOutcome[]> {
  const matching = await journeysTriggeredBy(deps.db, workspaceId, trigger);
  const outcomes: EnrollOutcome[] = [];
  for (const j of matching) {
    outcomes.push(
      ...(await enrollMany(deps, {
        workspaceId,
        journeyId: j.id,
        accountIds,
        trigger: label,
        deferWhenTemporalAway: true,
      })),
    );
  }
  return outcomes;
}

/** Enrolls many accounts in every live journey whose trigger contains `trigger`; returns how many entered. */
export async function enrollAccountsWhereTriggered(
  deps: RuntimeDeps,
  workspaceId: string,
  accountIds: string[],
  trigger: Record<string, string>,
  label: string,
): Promise<number> {
  const outcomes = await enrollWhereTriggered(deps, workspaceId, accountIds, trigger, label);
  return outcomes.filter((o) => o.enrolled).length;
}

/** An account's lifecycle stage changed (API PATCH/PUT or a set_stage step): enroll stage_entered journeys. */
export function onStageEntered(
  deps: RuntimeDeps,
  workspaceId: string,
  accountId: string,
  stage: string,
): Promise<EnrollOutcome[]> {
  return enrollWhereTriggered(
    deps,
    workspaceId,
    [accountId],
    { type: "stage_entered", stage },
    `stage_entered:${stage}`,
  );
}

/** Enrolls one account that entered a health band (health scoring enrolls its whole batch with enrollAccountsWhereTriggered). */
export function onHealthBandEntered(
  deps: RuntimeDeps,
  workspaceId: string,
  accountId: string,
  band: "red" | "yellow" | "green",
): Promise<EnrollOutcome[]> {
  return enrollWhereTriggered(
    deps,
    workspaceId,
    [accountId],
    { type: "health_band_entered", band },
    `health_band_entered:${band}`,
  );
}

/** Daily: accounts whose renewal window opened (renewal date within `daysBefore`) enter renewal journeys. */
export async function scanRenewalWindows(
  deps: RuntimeDeps,
  workspaceId: string,
  at: string,
): Promise<number> {
  const matching = await journeysTriggeredBy(deps.db, workspaceId, { type: "renewal_window" });
  const today = at.slice(0, 10);
  let enrolled = 0;
  for (const j of matching) {
    if (j.definition.trigger.type !== "renewal_window") continue;
    const candidates = await deps.db
      .select({ id: accounts.id })
      .from(accounts)
      .where(
        and(
          eq(accounts.workspaceId, workspaceId),
          sql`${accounts.renewalDate} > ${today}::date`,
          sql`${accounts.renewalDate} - ${j.definition.trigger.daysBefore}::int <= ${today}::date`,
          // Qualified by hand: drizzle leaves a single-table query's columns unqualified, and an
          // unqualified "id" inside the subquery would be the enrollment's own.
          sql`not exists (select 1 from ${enrollments} e where e.journey_id = ${j.id} and e.account_id = "accounts"."id" and e.status in ('active', 'held'))`,
        ),
      );
    const outcomes = await enrollMany(deps, {
      workspaceId,
      journeyId: j.id,
      accountIds: candidates.map((c) => c.id),
      trigger: "renewal_window",
      at: new Date(at),
    });
    enrolled += outcomes.filter((o) => o.enrolled).length;
  }
  return enrolled;
}
