import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Account } from "../apps/core/accounts/accounts";
import type { RetentionReport } from "../apps/core/accounts/retention";
import { startTestStack, type TestStack, type TestWorkspace } from "./harness";

let stack: TestStack;
let ws: TestWorkspace;

beforeAll(async () => {
  stack = await startTestStack();
  ws = await stack.newWorkspace();
});
afterAll(() => stack?.close());

type Problem = { status: number; errors?: { pointer: string; message: string; in?: string }[] };

// Five contracts up for renewal in the first half of 2026, in two tiers.
const fixture = [
  { id: "alpha", tier: "tech_touch", arr: 1000, date: "2026-01-15", after: 1000 }, // renewed
  { id: "bravo", tier: "tech_touch", arr: 2000, date: "2026-02-10", after: 0 }, // churned
  { id: "charlie", tier: "tech_touch", arr: 1000, date: "2026-04-01", after: 1500 }, // expanded
  { id: "delta", tier: "high_touch", arr: 10000, date: "2026-03-31", after: 8000 }, // contracted
  { id: "echo", tier: "high_touch", arr: 5000, date: "2026-05-20", after: 7000 }, // expanded
] as const;

describe("renewal outcomes and retention", () => {
  it("records outcomes, derives them from ARR, and moves the account on", async () => {
    for (const a of fixture) {
      const put = await ws.request("PUT", `/v1/accounts/${a.id}`, {
        name: a.id,
        tier: a.tier,
        arr: a.arr,
        renewalDate: a.date,
        lifecycleStage: "renewal",
      });
      expect(put.status).toBe(201);
      const res = await ws.request("PUT", `/v1/accounts/${a.id}/renewals/${a.date}`, {
        arrAfter: a.after,
        nextRenewalDate: `2027${a.date.slice(4)}`,
      });
      expect(res.status).toBe(200);
    }
    const charlie = (await (await ws.request("GET", "/v1/accounts/charlie/renewals")).json()) as {
      data: unknown[];
    };
    expect(charlie.data).toEqual([
      expect.objectContaining({
        account: "charlie",
        renewalDate: "2026-04-01",
        tier: "tech_touch",
        outcome: "expanded",
        arrBefore: 1000,
        arrAfter: 1500,
      }),
    ]);
    const account = (await (await ws.request("GET", "/v1/accounts/charlie")).json()) as Account;
    expect(account).toMatchObject({ arr: 1500, renewalDate: "2027-04-01", lifecycleStage: "renewal" });
    const churned = (await (await ws.request("GET", "/v1/accounts/bravo")).json()) as Account;
    expect(churned).toMatchObject({ arr: 0, lifecycleStage: "churned" });

    // A second PUT for the same renewal corrects it (its ARR before is kept), never counts twice.
    const again = await ws.request("PUT", "/v1/accounts/alpha/renewals/2026-01-15", {
      arrAfter: 1000,
      outcome: "renewed",
      notes: "Signed for another year",
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({
      arrBefore: 1000,
      outcome: "renewed",
      notes: "Signed for another year",
    });
  });

  it("reports GRR and NRR by quarter and tier, as computed by hand", async () => {
    const res = await ws.request("GET", "/v1/reports/retention?from=2026-01-01&to=2026-06-30&period=quarter");
    expect(res.status).toBe(200);
    const report = (await res.json()) as RetentionReport;
    expect(report.periods.map((p) => p.period)).toEqual(["2026-Q1", "2026-Q2"]);
    const [q1, q2] = report.periods;
    // Q1 tech touch: 3000 up, 2000 churned → 1000 kept: GRR = NRR = 1/3.
    expect(q1?.tiers.find((t) => t.tier === "tech_touch")).toMatchObject({
      renewals: 2,
      startingArr: 3000,
      churnedArr: 2000,
      endingArr: 1000,
      grr: 0.3333,
      nrr: 0.3333,
      outcomes: { renewed: 1, expanded: 0, contracted: 0, churned: 1 },
    });
    // Q1 high touch: 10000 contracted by 2000.
    expect(q1?.tiers.find((t) => t.tier === "high_touch")).toMatchObject({
      contractionArr: 2000,
      grr: 0.8,
      nrr: 0.8,
    });
    // Q1 total: (13000 − 2000 − 2000) / 13000.
    expect(q1?.total).toMatchObject({ renewals: 3, startingArr: 13000, grr: 0.6923, nrr: 0.6923 });
    // Q2: only expansions: GRR 100%, NRR (1500 + 7000) / 6000.
    expect(q2?.total).toMatchObject({ startingArr: 6000, expansionArr: 2500, grr: 1, nrr: 1.4167 });
    // The half year: GRR (19000 − 2000 − 2000) / 19000, NRR 17500 / 19000; per tier too.
    expect(report.total).toMatchObject({
      renewals: 5,
      startingArr: 19000,
      churnedArr: 2000,
      contractionArr: 2000,
      expansionArr: 2500,
      endingArr: 17500,
      grr: 0.7895,
      nrr: 0.9211,
    });
    expect(report.total.tiers.map((t) => [t.tier, t.grr, t.nrr])).toEqual([
      ["high_touch", 0.8667, 1],
      ["tech_touch", 0.5, 0.625],
    ]);

    const yearly = (await (
      await ws.request("GET", "/v1/reports/retention?from=2026-01-01&to=2026-12-31&period=year")
    ).json()) as RetentionReport;
    expect(yearly.periods.map((p) => [p.period, p.total.renewals])).toEqual([["2026", 5]]);
    const empty = (await (
      await ws.request("GET", "/v1/reports/retention?from=2020-01-01&to=2020-12-31")
    ).json()) as RetentionReport;
    expect(empty.periods).toEqual([]);
    expect(empty.total).toMatchObject({ renewals: 0, grr: null, nrr: null });
  });

  it("keeps retention to the key's workspace", async () => {
    const other = await stack.newWorkspace();
    const report = (await (
      await other.request("GET", "/v1/reports/retention?from=2026-01-01&to=2026-06-30")
    ).json()) as RetentionReport;
    expect(report.total.renewals).toBe(0);
    expect(
      (await other.request("PUT", "/v1/accounts/alpha/renewals/2026-01-15", { arrAfter: 1 })).status,
    ).toBe(404);
  });

  it("refuses renewals that do not add up, naming the field", async () => {
    const mismatch = await ws.request("PUT", "/v1/accounts/delta/renewals/2026-03-31", {
      arrAfter: 8000,
      outcome: "expanded",
    });
    expect(mismatch.status).toBe(422);
    expect(((await mismatch.json()) as Problem).errors).toEqual([
      { pointer: "/outcome", message: '"expanded" does not match ARR 10000 → 8000, which is "contracted"' },
    ]);
    await ws.request("PUT", "/v1/accounts/no-arr", { name: "No ARR" });
    const noArr = await ws.request("PUT", "/v1/accounts/no-arr/renewals/2026-03-01", { arrAfter: 100 });
    expect(noArr.status).toBe(422);
    expect(((await noArr.json()) as Problem).errors?.map((e) => e.pointer)).toEqual(["/arrBefore"]);
    const negative = await ws.request("PUT", "/v1/accounts/delta/renewals/2026-03-31", { arrAfter: -1 });
    expect(negative.status).toBe(422);
    expect(((await negative.json()) as Problem).errors?.map((e) => e.pointer)).toEqual(["/arrAfter"]);
    const badDate = await ws.request("PUT", "/v1/accounts/delta/renewals/2026-13-01", { arrAfter: 1 });
    expect(badDate.status).toBe(400);
    expect(((await badDate.json()) as Problem).errors?.map((e) => [e.in, e.pointer])).toEqual([
      ["path", "/renewalDate"],
    ]);
    const badPeriod = await ws.request("GET", "/v1/reports/retention?period=week");
    expect(badPeriod.status).toBe(400);
    expect(((await badPeriod.json()) as Problem).errors?.map((e) => [e.in, e.pointer])).toEqual([
      ["query", "/period"],
    ]);
    const backwards = await ws.request("GET", "/v1/reports/retention?from=2026-06-30&to=2026-01-01");
    expect(backwards.status).toBe(400);
    expect(((await backwards.json()) as Problem).errors?.map((e) => e.pointer)).toEqual(["/from"]);
    expect((await ws.request("PUT", "/v1/accounts/nobody/renewals/2026-03-01", { arrAfter: 1 })).status).toBe(
      404,
    );
  });
});
