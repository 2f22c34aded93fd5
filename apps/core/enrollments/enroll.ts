import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  accounts,
  enrollmentListeners,
  enrollments,
  journeys,
  journeyVersions,
} from "../../../db/schema/index";
import { journeyWorkflowId } from "../../../workflows/contracts";
import { mayEnter } from "../../../workflows/journey/entry";
import type { Facts } from "../../../workflows/journey/interpreter";
import { eventsOfInterest } from "../../../workflows/journey/relevant-events";
import { JourneyDefinition } from "../../../workflows/journey/schema";
import { accountFacts } from "../accounts/facts";
import { inParallel } from "../shared/in-parallel";
import { isTemporalUnavailable } from "../shared/temporal-unavailable";
import { RunOfAnotherEnrollment, type RuntimeDeps, runOwner, startEnrollmentRun } from "./runtime";
import { type Enrollment, toEnrollment } from "./schemas";

export type EnrollOutcome =
  | { enrolled: true; enrollment: Enrollment }
  | { enrolled: false; reason: string; code: "not_found" | "not_live" | "refused" | "duplicate" };

/**
 * Accounts read and written per batch: a constant number of statements each, well under Postgres's
 * 65,535 parameters per statement.
 */
const BATCH = 500;
/** Workflow starts (or fact reads) in flight at once: one by one, but not each waiting for the last. */
const IN_FLIGHT = 16;
/** Listener rows per INSERT (3 parameters each). */
const LISTENERS_PER_INSERT = 10_000;

/**
 * Enrolls an account in the latest version of a live journey: audience and re-entry rules first,
 * then one row (unique per journey, account and entry) and one workflow with a deterministic id,
 * so a duplicate trigger — concurrent or repeated — never makes a second run.
 */
export async function enroll(
  deps: RuntimeDeps,
  input: { workspaceId: string; journeyId: string; accountId: string; trigger: string; at?: Date },
): Promise<EnrollOutcome> {
  const { accountId, ...rest } = input;
  const [outcome] = await enrollMany(deps, { ...rest, accountIds: [accountId] });
  if (!outcome) throw new Error("enrollMany returned no outcome for one account");
  return outcome;
}

/**
 * `enroll` for many accounts at once, with the same rules and guarantees: per batch of accounts, one
 * read of the accounts and of their past enrollments, one multi-row INSERT … ON CONFLICT DO NOTHING
 * of the enrollments and one of their listeners; then one workflow start per enrolled account. One
 * outcome per account id, in order.
 */
export async function enrollMany(
  deps: RuntimeDeps,
  input: {
    workspaceId: string;
    journeyId: string;
    accountIds: string[];
    trigger: string;
    at?: Date;
    /**
     * Temporal away: keep the rows and start their runs when it is back (startAwaitingRuns), instead of
     * undoing the enrollment and throwing. For triggers, whose cause (a stage change, an event) is kept.
     */
    deferWhenTemporalAway?: boolean;
  },
): Promise<EnrollOutcome[]> {
  const at = input.at ?? deps.clock.now();
  const live = await liveJourney(deps.db, input.workspaceId, input.journeyId);
  if (!live.ok) return input.accountIds.map(() => live.outcome);
  const outcomes: EnrollOutcome[] = [];
  for (let i = 0; i < input.accountIds.length; i += BATCH) {
    const batch = input.accountIds.slice(i, i + BATCH);
    outcomes.push(...(await enrollBatch(deps, live.journey, { ...input, accountIds: batch }, at)));
  }
  return outcomes;
}

type LiveJourney = {
  id: string;
  key: string;
  version: { id: string; version: number };
  definition: JourneyDefinition;
};

async function liveJourney(
  db: Db,
  workspaceId: string,
  journeyId: string,
): Promise<{ ok: true; journey: LiveJourney } | { ok: false; outcome: EnrollOutcome }> {
  // The journey and its latest version in one round trip: every manual enrollment starts here.
  const [row] = await db
    .select({ journey: journeys, version: { id: journeyVersions.id, version: journeyVersions.version } })
    .from(journeys)
    .leftJoin(
      journeyVersions,
      and(eq(journeyVersions.journeyId, journeys.id), eq(journeyVersions.version, journeys.latestVersion)),
    )
    .where(and(eq(journeys.workspaceId, workspaceId), eq(journeys.id, journeyId)));
  if (!row) return { ok: false, outcome: { enrolled: false, code: "not_found", reason: "no such journey" } };
  const { journey, version } = row;
  if ((journey.status !== "active" && journey.status !== "paused") || journey.latestVersion === null) {
    return {
      ok: false,
      outcome: {
        enrolled: false,
        code: "not_live",
        reason: `journey is ${journey.status}${journey.latestVersion === null ? " and unpublished" : ""}`,
      },
    };
  }
  if (!version)
    return { ok: false, outcome: { enrolled: false, code: "not_found", reason: "no such journey version" } };
  return {
    ok: true,
    journey: {
      id: journey.id,
      key: journey.key,
      version,
      definition: await publishedDefinition(db, version.id),
    },
  };
}

/** Parsed definitions by version id: a published version never changes, and parsing costs CPU. */
const definitions = new Map<string, JourneyDefinition>();
/** Enough for every live journey of a large deployment; the oldest parsed is dropped beyond it. */
const DEFINITIONS_KEPT = 256;

async function publishedDefinition(db: Db, versionId: string): Promise<JourneyDefinition> {
  const known = definitions.get(versionId);
  if (known) return known;
  const [row] = await db
    .select({ definition: journeyVersions.definition })
    .from(journeyVersions)
    .where(eq(journeyVersions.id, versionId));
  const definition = JourneyDefinition.parse(row?.definition);
  if (definitions.size >= DEFINITIONS_KEPT) definitions.delete(definitions.keys().next().value as string);
  definitions.set(versionId, definition);
  return definition;
}

type AccountRow = typeof accounts.$inferSelect;

/** Who may enter, per account id given (in order): a refusal, or the entry number it would take. */
type Decisions = {
  outcomeOf: (string | EnrollOutcome)[];
  entering: Map<string, { account: AccountRow; entry: number }>;
  byId: Map<string, AccountRow>;
};

/**
 * The entry rules over one batch, without writing: one read of the accounts and one of their past
 * enrollments in the journey; an account given twice is a duplicate the second time.
 */
async function decideBatch(
  db: Db,
  journey: { id: string; definition: JourneyDefinition },
  input: { workspaceId: string; accountIds: string[] },
  at: Date,
): Promise<Decisions> {
  const unique = [...new Set(input.accountIds)];
  // Both reads at once: neither needs the other.
  const [accountRows, pastRows] = await Promise.all([
    db
      .select()
      .from(accounts)
      .where(and(eq(accounts.workspaceId, input.workspaceId), inArray(accounts.id, unique))),
    db
      .select({
        accountId: enrollments.accountId,
        enteredAt: enrollments.enteredAt,
        finishedAt: enrollments.finishedAt,
        entry: enrollments.entry,
      })
      .from(enrollments)
      .where(and(eq(enrollments.journeyId, journey.id), inArray(enrollments.accountId, unique)))
      .orderBy(asc(enrollments.entry)),
  ]);
  const byId = new Map(accountRows.map((a) => [a.id, a]));
  const pastOf = new Map<string, typeof pastRows>();
  for (const p of pastRows) pastOf.set(p.accountId, [...(pastOf.get(p.accountId) ?? []), p]);
  const facts = await audienceFacts(db, journey.definition, accountRows, at);

  const refusedOf = new Map<string, EnrollOutcome>();
  const entering = new Map<string, { account: AccountRow; entry: number }>();
  const outcomeOf: (string | EnrollOutcome)[] = input.accountIds.map((accountId) => {
    const earlier = refusedOf.get(accountId);
    if (earlier) return earlier;
    if (entering.has(accountId)) return { enrolled: false, code: "duplicate", reason: "already enrolled" };
    const account = byId.get(accountId);
    if (!account) {
      const missing: EnrollOutcome = { enrolled: false, code: "not_found", reason: "no such account" };
      refusedOf.set(accountId, missing);
      return missing;
    }
    const past = pastOf.get(accountId) ?? [];
    const decision = mayEnter(
      journey.definition,
      { tier: account.tier, stage: account.lifecycleStage, facts: facts.get(accountId) ?? {} },
      past.map((p) => ({
        enteredAt: p.enteredAt.toISOString(),
        finishedAt: p.finishedAt?.toISOString() ?? null,
      })),
      at.toISOString(),
    );
    if (!decision.enter) {
      const refused: EnrollOutcome = {
        enrolled: false,
        code: decision.reason === "already enrolled" ? "duplicate" : "refused",
        reason: decision.reason,
      };
      refusedOf.set(accountId, refused);
      return refused;
    }
    entering.set(accountId, { account, entry: (past.at(-1)?.entry ?? 0) + 1 });
    return accountId;
  });
  return { outcomeOf, entering, byId };
}

/** What enrolling would do, written nowhere: how many would enter, and why the others would not. */
export type EnrollPreview = { wouldEnroll: number; refused: Record<string, number> };

/**
 * `enrollMany`'s decision without its effects (a dry run): the same entry rules over the given
 * definition, which need not be published yet (a backfill counted before publishing).
 */
export async function previewEnrollMany(
  db: Db,
  input: {
    workspaceId: string;
    journey: { id: string; definition: JourneyDefinition };
    accountIds: string[];
    at: Date;
  },
): Promise<EnrollPreview> {
  const preview: EnrollPreview = { wouldEnroll: 0, refused: {} };
  for (let i = 0; i < input.accountIds.length; i += BATCH) {
    const batch = input.accountIds.slice(i, i + BATCH);
    const { outcomeOf } = await decideBatch(
      db,
      input.journey,
      { workspaceId: input.workspaceId, accountIds: batch },
      input.at,
    );
    for (const o of outcomeOf) {
      if (typeof o === "string") preview.wouldEnroll++;
      else if (!o.enrolled) preview.refused[o.reason] = (preview.refused[o.reason] ?? 0) + 1;
    }
  }
  return preview;
}

async function enrollBatch(
  deps: RuntimeDeps,
  journey: LiveJourney,
  input: { workspaceId: string; accountIds: string[]; trigger: string; deferWhenTemporalAway?: boolean },
  at: Date,
): Promise<EnrollOutcome[]> {
  const { db } = deps;
  const { outcomeOf, entering, byId } = await decideBatch(db, journey, input, at);
  // In account order: concurrent batches of one journey then take the unique index's locks in the
  // same order, so overlapping triggers wait for each other instead of deadlocking.
  const values: (typeof enrollments.$inferInsert)[] = [...entering.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([accountId, { account, entry }]) => ({
      workspaceId: input.workspaceId,
      journeyId: journey.id,
      journeyVersionId: journey.version.id,
      version: journey.version.version,
      accountId,
      entry,
      workflowId: journeyWorkflowId(input.workspaceId, journey.key, account.externalId, entry),
      trigger: input.trigger,
      enteredAt: at,
    }));
  const inserted = await insertEnrollments(db, values, [...eventsOfInterest(journey.definition)]);
  const refused = await startRuns(deps, inserted, input.deferWhenTemporalAway ?? false);
  const enrolledOf = new Map(
    inserted.map((row) => [row.accountId, refused.get(row.id) ?? enrolledOutcome(journey, row, byId)]),
  );
  return outcomeOf.map((o) =>
    typeof o === "string"
      ? (enrolledOf.get(o) ?? { enrolled: false, code: "duplicate", reason: "already enrolled" })
      : o,
  );
}

function enrolledOutcome(
  journey: LiveJourney,
  row: typeof enrollments.$inferSelect,
  byId: Map<string, AccountRow>,
): EnrollOutcome {
  return {
    enrolled: true,
    enrollment: toEnrollment({
      e: row,
      journeyKey: journey.key,
      accountExternalId: byId.get(row.accountId)?.externalId ?? "",
    }),
  };
}

/**
 * The facts the audience condition reads, per account. Only a journey with an audience condition
 * reads them (tiers and stages come from the account row): one query per account, see accountFacts.
 */
async function audienceFacts(
  db: Db,
  definition: JourneyDefinition,
  rows: AccountRow[],
  at: Date,
): Promise<Map<string, Facts>> {
  const facts = new Map<string, Facts>();
  if (!definition.audience.where) return facts;
  await inParallel(rows, IN_FLIGHT, async (row) => {
    facts.set(row.id, await accountFacts(db, row, at.toISOString()));
  });
  return facts;
}

/**
 * The enrollment rows and their listeners, in one transaction; rows that already exist (a duplicate
 * trigger, concurrent or repeated) are not returned.
 */
async function insertEnrollments(
  db: Db,
  values: (typeof enrollments.$inferInsert)[],
  eventNames: string[],
): Promise<(typeof enrollments.$inferSelect)[]> {
  if (values.length === 0) return [];
  return db.transaction(async (tx) => {
    const rows = await tx.insert(enrollments).values(values).onConflictDoNothing().returning();
    const listeners = rows.flatMap((row) =>
      eventNames.map((eventName) => ({ enrollmentId: row.id, accountId: row.accountId, eventName })),
    );
    for (let i = 0; i < listeners.length; i += LISTENERS_PER_INSERT) {
      await tx
        .insert(enrollmentListeners)
        .values(listeners.slice(i, i + LISTENERS_PER_INSERT))
        .onConflictDoNothing();
    }
    return rows;
  });
}

/**
 * Starts the run of each new row. A row whose start failed and whose run is not its own is deleted
 * (no run, no enrollment: the trigger may be retried); after every start is done, the first
 * unexpected failure is thrown, so a retried trigger enrolls what is left. With `defer`, a row whose
 * start failed because Temporal is away is kept, marked as awaiting its run.
 */
async function startRuns(
  deps: RuntimeDeps,
  rows: (typeof enrollments.$inferSelect)[],
  defer: boolean,
): Promise<Map<string, EnrollOutcome>> {
  const refused = new Map<string, EnrollOutcome>();
  const awaiting: string[] = [];
  let failure: { err: unknown } | undefined;
  await inParallel(rows, IN_FLIGHT, async (row) => {
    try {
      await startEnrollmentRun(deps, row);
    } catch (err) {
      if (defer && isTemporalUnavailable(err)) {
        awaiting.push(row.id);
        return;
      }
      // A start that timed out may still have happened: then the run is this enrollment's.
      if ((await runOwner(deps, row.workflowId)) === row.id) return;
      await deps.db.delete(enrollments).where(eq(enrollments.id, row.id));
      if (err instanceof RunOfAnotherEnrollment) {
        refused.set(row.id, { enrolled: false, code: "refused", reason: err.message });
        return;
      }
      failure ??= { err };
    }
  });
  if (awaiting.length > 0)
    await deps.db
      .update(enrollments)
      .set({ awaitingRunSince: deps.clock.now() })
      .where(inArray(enrollments.id, awaiting));
  if (failure) throw failure.err;
  return refused;
}
