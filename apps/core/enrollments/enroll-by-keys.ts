import { and, eq, sql } from "drizzle-orm";
import { builtOnce } from "../../../db/client";
import { accounts, journeys, journeyVersions } from "../../../db/schema/index";
import type { Refusal } from "../shared/refusal";
import {
  type EnrollOutcome,
  enrollRead,
  journeyWithVersionColumns,
  latestVersionOfJourney,
  type PastEnrollment,
  toLiveJourney,
} from "./enroll";
import type { RuntimeDeps } from "./runtime";
import type { Enrollment } from "./schemas";

export type EnrollByKeys =
  | { ok: true; enrollment: Enrollment }
  | { ok: false; refusal: Extract<Refusal, "not_found">; problems: { pointer: string; message: string }[] }
  | {
      ok: false;
      refusal: Extract<Refusal, "conflict">;
      code: Extract<EnrollOutcome, { enrolled: false }>["code"];
      reason: string;
    };

/** The account's past enrollments in the journey, oldest first, as one JSON value. */
const pastEnrollments = sql<{ enteredAt: string; finishedAt: string | null; entry: number }[]>`(
  select coalesce(json_agg(json_build_object(
    'enteredAt', e.entered_at, 'finishedAt', e.finished_at, 'entry', e.entry) order by e.entry), '[]')
  from enrollments e where e.journey_id = "journeys"."id" and e.account_id = "accounts"."id")`;

/**
 * The journey by key with its latest version, the account by externalId and its past enrollments in
 * the journey: what enrolling reads, in one statement. Both are left joined to one row so that a
 * missing journey and a missing account are told apart (and told together). Built and prepared
 * once: every manual enrollment starts with it.
 */
const readQuery = builtOnce((db) => {
  const workspaceId = sql.placeholder("workspaceId");
  return db
    .select({ ...journeyWithVersionColumns, account: accounts, past: pastEnrollments })
    .from(sql`(select 1) as one`)
    .leftJoin(journeys, and(eq(journeys.workspaceId, workspaceId), eq(journeys.key, sql.placeholder("key"))))
    .leftJoin(journeyVersions, latestVersionOfJourney)
    .leftJoin(
      accounts,
      and(eq(accounts.workspaceId, workspaceId), eq(accounts.externalId, sql.placeholder("externalId"))),
    )
    .prepare("enroll_by_keys_read");
});

/**
 * A manual enrollment (the API's POST /enrollments): journey by key, account by externalId. One read,
 * then the entry rules, one write and the workflow start, as enrollMany's (enrollRead).
 */
export async function enrollByKeys(
  deps: RuntimeDeps,
  input: { workspaceId: string; journey: string; account: string },
): Promise<EnrollByKeys> {
  const { db } = deps;
  const [row] = await readQuery(db).execute({
    workspaceId: input.workspaceId,
    key: input.journey,
    externalId: input.account,
  });
  const journey = row?.journey;
  const account = row?.account;
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
  const live = await toLiveJourney(db, { journey, version: row.version });
  const [outcome] = live.ok
    ? await enrollRead(
        deps,
        live.journey,
        { workspaceId: input.workspaceId, accountIds: [account.id], trigger: "manual" },
        { accountRows: [account], pastRows: pastOf(account.id, row.past) },
        deps.clock.now(),
      )
    : [live.outcome];
  if (!outcome) throw new Error("enrollRead returned no outcome for one account");
  return outcome.enrolled
    ? { ok: true, enrollment: outcome.enrollment }
    : { ok: false, refusal: "conflict", code: outcome.code, reason: outcome.reason };
}

/** The JSON of the past enrollments as the entry rules take them. Drivers differ: text or parsed. */
function pastOf(accountId: string, past: unknown): PastEnrollment[] {
  const list = (typeof past === "string" ? JSON.parse(past) : past) as {
    enteredAt: string;
    finishedAt: string | null;
    entry: number;
  }[];
  return list.map((p) => ({
    accountId,
    // json_build_object writes PostgreSQL's timestamp text, which Date reads.
    enteredAt: new Date(p.enteredAt),
    finishedAt: p.finishedAt === null ? null : new Date(p.finishedAt),
    entry: p.entry,
  }));
}
