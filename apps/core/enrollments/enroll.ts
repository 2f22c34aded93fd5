import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { accounts, enrollments, journeys, journeyVersions } from "../../../db/schema/index";
import { journeyWorkflowId } from "../../../workflows/contracts";
import { mayEnter } from "../../../workflows/journey/entry";
import type { Facts } from "../../../workflows/journey/interpreter";
import { eventsOfInterest } from "../../../workflows/journey/relevant-events";
import { JourneyDefinition } from "../../../workflows/journey/schema";
import { accountFacts } from "../accounts/facts";
import { inParallel } from "../shared/in-parallel";
import { type EnrollmentRow, insertEnrollments, type NewEnrollment, startRuns } from "./enrollment-rows";
import type { RuntimeDeps } from "./runtime";
import { type Enrollment, toEnrollment } from "./schemas";

export type EnrollOutcome =
  | { enrolled: true; enrollment: Enrollment }
  | { enrolled: false; reason: string; code: "not_found" | "not_live" | "refused" | "duplicate" };

/**
 * Accounts read and written per batch: a constant number of statements each, well under Postgres's
 * 65,535 parameters per statement.
 */
const BATCH = 500;
/** Fact reads in flight at once: one by one, but not each waiting for the last. */
const IN_FLIGHT = 16;

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
 * read of the accounts and of their past enrollments, one statement inserting (ON CONFLICT DO NOTHING)
 * the enrollments and their listeners; then one workflow start per enrolled account. One outcome per
 * account id, in order.
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
    const batch = { ...input, accountIds: input.accountIds.slice(i, i + BATCH) };
    const read = await readBatch(deps.db, live.journey.id, batch);
    outcomes.push(...(await enrollRead(deps, live.journey, batch, read, at)));
  }
  return outcomes;
}

export type LiveJourney = {
  id: string;
  key: string;
  version: { id: string; version: number };
  definition: JourneyDefinition;
};

/** The columns of a journey and of its latest version that enrolling reads. */
export type JourneyWithVersion = {
  journey: { id: string; key: string; status: string; latestVersion: number | null };
  version: { id: string; version: number } | null;
};

/** What enrolling selects of a journey and its latest version (a JourneyWithVersion once read). */
export const journeyWithVersionColumns = {
  journey: {
    id: journeys.id,
    key: journeys.key,
    status: journeys.status,
    latestVersion: journeys.latestVersion,
  },
  version: { id: journeyVersions.id, version: journeyVersions.version },
};

/** The join from a journey to its latest version. */
export const latestVersionOfJourney = and(
  eq(journeyVersions.journeyId, journeys.id),
  eq(journeyVersions.version, journeys.latestVersion),
);

async function liveJourney(
  db: Db,
  workspaceId: string,
  journeyId: string,
): Promise<{ ok: true; journey: LiveJourney } | { ok: false; outcome: EnrollOutcome }> {
  // The journey and its latest version in one round trip.
  const [row] = await db
    .select(journeyWithVersionColumns)
    .from(journeys)
    .leftJoin(journeyVersions, latestVersionOfJourney)
    .where(and(eq(journeys.workspaceId, workspaceId), eq(journeys.id, journeyId)));
  if (!row) return { ok: false, outcome: { enrolled: false, code: "not_found", reason: "no such journey" } };
  return toLiveJourney(db, row);
}

/** A journey and its latest version as read: live, with its parsed definition, or why it is not. */
export async function toLiveJourney(
  db: Db,
  { journey, version }: JourneyWithVersion,
): Promise<{ ok: true; journey: LiveJourney } | { ok: false; outcome: EnrollOutcome }> {
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

/** A past enrollment of an account in the journey, as the re-entry rules read it. */
export type PastEnrollment = { accountId: string; enteredAt: Date; finishedAt: Date | null; entry: number };

/** What the entry rules read of a batch: its accounts, and their past enrollments in the journey. */
export type BatchRead = { accountRows: AccountRow[]; pastRows: PastEnrollment[] };

/** One read of the batch's accounts and one of their past enrollments in the journey, at once. */
async function readBatch(
  db: Db,
  journeyId: string,
  input: { workspaceId: string; accountIds: string[] },
): Promise<BatchRead> {
  const unique = [...new Set(input.accountIds)];
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
      .where(and(eq(enrollments.journeyId, journeyId), inArray(enrollments.accountId, unique)))
      .orderBy(asc(enrollments.entry)),
  ]);
  return { accountRows, pastRows };
}

/**
 * The entry rules over one batch as read, without writing (only the audience's facts are read, when
 * it has a condition); an account given twice is a duplicate the second time.
 */
async function decide(
  db: Db,
  journey: { definition: JourneyDefinition },
  accountIds: string[],
  { accountRows, pastRows }: BatchRead,
  at: Date,
): Promise<Decisions> {
  const byId = new Map(accountRows.map((a) => [a.id, a]));
  const pastOf = new Map<string, PastEnrollment[]>();
  for (const p of pastRows) pastOf.set(p.accountId, [...(pastOf.get(p.accountId) ?? []), p]);
  const facts = await audienceFacts(db, journey.definition, accountRows, at);

  const refusedOf = new Map<string, EnrollOutcome>();
  const entering = new Map<string, { account: AccountRow; entry: number }>();
  const outcomeOf: (string | EnrollOutcome)[] = accountIds.map((accountId) => {
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
    const accountIds = input.accountIds.slice(i, i + BATCH);
    const read = await readBatch(db, input.journey.id, { workspaceId: input.workspaceId, accountIds });
    const { outcomeOf } = await decide(db, input.journey, accountIds, read, input.at);
    for (const o of outcomeOf) {
      if (typeof o === "string") preview.wouldEnroll++;
      else if (!o.enrolled) preview.refused[o.reason] = (preview.refused[o.reason] ?? 0) + 1;
    }
  }
  return preview;
}

/**
 * One batch, its accounts and past enrollments read: the entry rules, then the rows that may enter
 * and their listeners in one statement, then one workflow start per row inserted.
 */
export async function enrollRead(
  deps: RuntimeDeps,
  journey: LiveJourney,
  input: { workspaceId: string; accountIds: string[]; trigger: string; deferWhenTemporalAway?: boolean },
  read: BatchRead,
  at: Date,
): Promise<EnrollOutcome[]> {
  const { db } = deps;
  const { outcomeOf, entering, byId } = await decide(db, journey, input.accountIds, read, at);
  const values: NewEnrollment[] = [...entering.entries()].map(([accountId, { account, entry }]) => ({
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
    inserted.map((row): [string, EnrollOutcome] => {
      const reason = refused.get(row.id);
      return [
        row.accountId,
        reason ? { enrolled: false, code: "refused", reason } : enrolledOutcome(journey, row, byId),
      ];
    }),
  );
  return outcomeOf.map((o) =>
    typeof o === "string"
      ? (enrolledOf.get(o) ?? { enrolled: false, code: "duplicate", reason: "already enrolled" })
      : o,
  );
}

function enrolledOutcome(
  journey: LiveJourney,
  row: EnrollmentRow,
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
