import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { findAccountRow } from "../apps/core/accounts/accounts";
import { upsertCsm } from "../apps/core/escalations/csms";
import { openEscalation } from "../apps/core/escalations/open";
import { accountHealth, accounts } from "../db/schema";
import type { TestStack, TestWorkspace } from "./harness";

/**
 * A workspace that looks lived in, for the console's Home: accounts with health a week ago and now,
 * renewals coming up, renewal outcomes over the last quarters, and open escalations for a CSM and
 * for others. Through the API and core use cases, except the health history, which is written as a
 * scoring run writes it (recomputeHealth scores from real usage, which a test cannot dial in).
 */

const DAY = 86_400_000;
type Band = "red" | "yellow" | "green";

export type SeedAccount = {
  id: string;
  name: string;
  tier: "high_touch" | "low_touch" | "tech_touch";
  arr: number;
  /** Days from now to the next renewal; absent: none. */
  renewsIn?: number;
  /** Band and score a week ago (8 days), and now; absent: not scored then. */
  before?: [Band, number];
  now?: [Band, number];
};

export const HOME_ACCOUNTS: SeedAccount[] = [
  {
    id: "acme",
    name: "Acme Logistics",
    tier: "high_touch",
    arr: 240_000,
    renewsIn: 21,
    before: ["green", 81],
    now: ["red", 38],
  },
  {
    id: "hoshi",
    name: "Hoshi Foods",
    tier: "high_touch",
    arr: 180_000,
    renewsIn: 45,
    before: ["yellow", 62],
    now: ["yellow", 61],
  },
  {
    id: "kumo",
    name: "Kumo Analytics",
    tier: "low_touch",
    arr: 96_000,
    renewsIn: 9,
    before: ["green", 86],
    now: ["green", 84],
  },
  {
    id: "nami",
    name: "Nami Travel",
    tier: "low_touch",
    arr: 54_000,
    renewsIn: 80,
    before: ["yellow", 55],
    now: ["red", 35],
  },
  { id: "sora", name: "Sora Robotics", tier: "tech_touch", arr: 12_000, renewsIn: 110, now: ["green", 77] },
  {
    id: "tsuki",
    name: "Tsuki Media",
    tier: "tech_touch",
    arr: 8_000,
    renewsIn: 200,
    before: ["red", 30],
    now: ["yellow", 58],
  },
  {
    id: "yama",
    name: "Yama Outdoor",
    tier: "high_touch",
    arr: 150_000,
    before: ["green", 90],
    now: ["green", 92],
  },
  { id: "kaze", name: "Kaze Studio", tier: "low_touch", arr: 40_000, renewsIn: 60 },
];

/** Renewal outcomes: account, quarters back from now (0: this quarter), ARR before and after. */
const PAST_RENEWALS: [string, number, number, number][] = [
  ["acme", 6, 180_000, 200_000],
  ["hoshi", 6, 170_000, 170_000],
  ["kumo", 5, 100_000, 100_000],
  ["nami", 5, 60_000, 45_000],
  ["yama", 4, 140_000, 150_000],
  ["tsuki", 4, 12_000, 0],
  ["acme", 3, 200_000, 240_000],
  ["kumo", 3, 110_000, 96_000],
  ["hoshi", 2, 170_000, 180_000],
  ["sora", 2, 20_000, 0],
  ["nami", 1, 45_000, 54_000],
  ["kaze", 1, 50_000, 40_000],
];

/** A day inside the quarter `back` quarters before the one `now` is in. */
function dayInQuarter(now: Date, back: number): string {
  const index = now.getUTCFullYear() * 4 + Math.floor(now.getUTCMonth() / 3) - back;
  const start = Date.UTC(Math.floor(index / 4), (index % 4) * 3, 1);
  return new Date(start + 10 * DAY).toISOString().slice(0, 10);
}

const dayFromNow = (now: Date, days: number) =>
  new Date(now.getTime() + days * DAY).toISOString().slice(0, 10);

async function ok(res: Promise<Response>, what: string) {
  const done = await res;
  expect(done.status, `${what}: ${await done.clone().text()}`).toBeLessThan(300);
  return done;
}

/** Accounts with their health history (a week ago and now), upcoming renewals and past renewal outcomes. */
export async function seedAccounts(stack: TestStack, ws: TestWorkspace, now: Date, list = HOME_ACCOUNTS) {
  for (const a of list)
    await ok(ws.request("PUT", `/v1/accounts/${a.id}`, { name: a.name, tier: a.tier }), a.id);
  const ids = new Set(list.map((a) => a.id));
  for (const [id, back, before, after] of PAST_RENEWALS.filter(([id]) => ids.has(id)))
    await ok(
      ws.request("PUT", `/v1/accounts/${id}/renewals/${dayInQuarter(now, back)}`, {
        arrBefore: before,
        arrAfter: after,
      }),
      `renewal of ${id}`,
    );
  // Last, the account as it is today (a churn above moved its stage; this is a new contract).
  for (const a of list)
    await ok(
      ws.request("PUT", `/v1/accounts/${a.id}`, {
        name: a.name,
        tier: a.tier,
        arr: a.arr,
        lifecycleStage: "adoption",
        ...(a.renewsIn !== undefined ? { renewalDate: dayFromNow(now, a.renewsIn) } : {}),
      }),
      a.id,
    );
  const db = stack.database.db;
  for (const a of list) {
    const row = await findAccountRow(db, ws.workspaceId, a.id);
    if (!row) throw new Error(`no account ${a.id}`);
    const runs = [
      ...(a.before ? [{ at: new Date(now.getTime() - 8 * DAY), band: a.before[0], score: a.before[1] }] : []),
      ...(a.now ? [{ at: new Date(now.getTime() - 3_600_000), band: a.now[0], score: a.now[1] }] : []),
    ];
    for (const run of runs)
      await db.insert(accountHealth).values({
        workspaceId: ws.workspaceId,
        accountId: row.id,
        computedAt: run.at,
        score: run.score,
        band: run.band,
        measures: {},
      });
    const latest = runs.at(-1);
    if (latest)
      await db
        .update(accounts)
        .set({ healthScore: latest.score, healthBand: latest.band, healthComputedAt: latest.at })
        .where(eq(accounts.id, row.id));
  }
}

export type SeedEscalation = {
  account: string;
  assignee: string | null;
  reason: string;
  priority: "low" | "medium" | "high" | "urgent";
  /** Hours from now to the deadline (negative: already past). */
  dueInHours: number;
};

/**
 * Open escalations on enrolled accounts (a journey that only waits holds them), opened through
 * core's openEscalation with the given deadline.
 */
export async function seedEscalations(
  stack: TestStack,
  ws: TestWorkspace,
  now: Date,
  list: SeedEscalation[],
) {
  await ok(
    ws.request("PUT", "/v1/journeys/home-hold", {
      name: "Hold",
      trigger: { type: "manual" },
      steps: [{ id: "w", type: "wait", duration: "P30D" }],
    }),
    "journey",
  );
  await ok(ws.request("POST", "/v1/journeys/home-hold/publish"), "publish");
  const enrolled = new Map<string, string>();
  let n = 0;
  for (const e of list) {
    const row = await findAccountRow(stack.database.db, ws.workspaceId, e.account);
    if (!row) throw new Error(`no account ${e.account}`);
    let enrollmentId = enrolled.get(e.account);
    if (!enrollmentId) {
      const res = await ok(
        ws.request("POST", "/v1/enrollments", { journey: "home-hold", account: e.account }),
        "enroll",
      );
      enrollmentId = ((await res.json()) as { id: string }).id;
      enrolled.set(e.account, enrollmentId);
    }
    // Opened a day before the deadline minus one: the SLA is what is left plus a day.
    const hours = Math.round(e.dueInHours) + 24;
    await openEscalation(stack.deps, {
      workspaceId: ws.workspaceId,
      enrollmentId,
      accountId: row.id,
      tier: row.tier,
      escalationKey: `home:${n++}`,
      stepId: "call",
      reason: e.reason,
      priority: e.priority,
      sla: `PT${hours}H`,
      assignee: e.assignee,
      holdsJourney: false,
      at: new Date(now.getTime() - 24 * 3_600_000).toISOString(),
    });
  }
}

/** A CSM record (what makes a person's Home show their own escalations) in a time zone. */
export async function seedCsm(stack: TestStack, ws: TestWorkspace, email: string, timezone: string | null) {
  await upsertCsm(
    stack.database.db,
    ws.workspaceId,
    email,
    { tiers: [], active: true, timezone },
    new Date(),
  );
}
