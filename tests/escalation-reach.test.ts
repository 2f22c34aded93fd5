import { eq } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAccountRow } from "../apps/core/accounts/accounts";
import { notifyEscalation } from "../apps/core/escalations/notify";
import { openEscalation } from "../apps/core/escalations/open";
import type { Escalation } from "../apps/core/escalations/queries";
import { checkEscalationSla } from "../apps/core/escalations/sla";
import type { SimulateResponse } from "../apps/core/journeys/simulate";
import { accountHealth, accounts } from "../db/schema";
import {
  eventually,
  type SmtpSink,
  smtpSink,
  startTestStack,
  type TestStack,
  type TestWorkspace,
} from "./harness";

let stack: TestStack;
let smtp: SmtpSink;

beforeAll(async () => {
  smtp = await smtpSink();
  stack = await startTestStack({ smtpUrl: smtp.url });
});
afterAll(async () => {
  await stack?.close();
  await smtp?.close();
});

/** A journey that escalates right away, urgent by default. */
const escalating = (priority = "urgent") => ({
  name: "Escalate now",
  trigger: { type: "manual" },
  steps: [{ id: "call", type: "escalate", reason: "No login for 7 days", priority, sla: "P2D" }],
});

async function settings(w: TestWorkspace, escalations: unknown) {
  const res = await w.request("PUT", "/v1/settings", { escalations });
  expect(res.status).toBe(200);
}

/** Puts a CSM and checks the record answers what was sent. */
async function csm(w: TestWorkspace, email: string, input: Record<string, unknown>) {
  const res = await w.request("PUT", `/v1/csms/${email}`, input);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ email, ...input });
}

async function enrollAndWait(w: TestWorkspace, journey: string, account: string): Promise<Escalation> {
  const res = await w.request("POST", "/v1/enrollments", { journey, account });
  expect(res.status).toBeLessThan(300);
  return eventually(async () => {
    const list = (await (await w.request("GET", "/v1/escalations?limit=500")).json()) as {
      data: Escalation[];
    };
    return list.data.find((x) => x.account === account);
  }, `the escalation of ${account}`);
}

async function mailTo(address: string) {
  const received = await eventually(
    async () => smtp.mail.find((m) => m.to.includes(address)),
    `mail to ${address}`,
  );
  return simpleParser(received.raw);
}

describe("the fallback owner", () => {
  it("gets an urgent escalation no CSM serves, by email at the SMTP server, saying why it is theirs", async () => {
    const w = await stack.newWorkspace();
    await w.request("PUT", "/v1/csms/high@vendor.example", { tiers: ["high_touch"] });
    await settings(w, { fallbackOwner: "lead@fallback.example" });
    await w.request("PUT", "/v1/journeys/now", escalating());
    const published = await w.request("POST", "/v1/journeys/now/publish");
    expect(((await published.json()) as { warnings: unknown[] }).warnings).toEqual([]);
    await w.request("PUT", "/v1/accounts/orphan", { name: "Orphan KK", tier: "tech_touch" });

    const x = await enrollAndWait(w, "now", "orphan");
    expect(x.assignee).toBe("lead@fallback.example");
    expect(x.priority).toBe("urgent");
    const mail = await mailTo("lead@fallback.example");
    expect(mail.subject).toBe("[urgent] Orphan KK: No login for 7 days");
    expect(mail.html).toContain("fallback owner");
    expect(mail.text).toContain("fallback owner");
    expect(mail.html).toContain(`http://localhost:3000/v1/escalations/${x.id}`);
  });

  it("gets the escalation when every CSM of the tier is at capacity", async () => {
    const w = await stack.newWorkspace();
    await w.request("PUT", "/v1/csms/full@vendor.example", { capacity: 1 });
    await settings(w, { fallbackOwner: "lead@capacity.example" });
    await w.request("PUT", "/v1/journeys/now", escalating("high"));
    await w.request("POST", "/v1/journeys/now/publish");
    for (const id of ["first", "second"])
      await w.request("PUT", `/v1/accounts/${id}`, { name: id, tier: "low_touch" });
    expect((await enrollAndWait(w, "now", "first")).assignee).toBe("full@vendor.example");
    expect((await enrollAndWait(w, "now", "second")).assignee).toBe("lead@capacity.example");
  });

  it("gets an urgent escalation left unassigned before a fallback was set, at its next SLA check", async () => {
    const w = await stack.newWorkspace();
    await w.request("PUT", "/v1/journeys/now", escalating());
    await w.request("POST", "/v1/journeys/now/publish");
    await w.request("PUT", "/v1/accounts/early", { name: "Early KK", tier: "tech_touch" });
    const x = await enrollAndWait(w, "now", "early");
    expect(x.assignee).toBeNull();
    await settings(w, { fallbackOwner: "late@fallback.example" });
    const state = await checkEscalationSla(stack.deps, {
      workspaceId: w.workspaceId,
      escalationId: x.id,
      stage: "reminder",
      at: new Date().toISOString(),
    });
    expect(state).toBe("open");
    const after = (await (await w.request("GET", `/v1/escalations/${x.id}`)).json()) as Escalation;
    expect(after.assignee).toBe("late@fallback.example");
    const mail = await mailTo("late@fallback.example");
    expect(mail.subject).toMatch(/^Reminder, due .*: Early KK: No login for 7 days$/);
    expect(mail.html).toContain("fallback owner");
  });

  it("refuses a fallback owner that is not a bare address, naming the field", async () => {
    const w = await stack.newWorkspace();
    const res = await w.request("PUT", "/v1/settings", {
      escalations: { fallbackOwner: "Lead <lead@x.example>" },
    });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = (await res.json()) as { errors: { pointer: string }[] };
    // An address can fail two checks (the format, then the one-mailbox rule): the field at least once.
    expect([...new Set(body.errors.map((e) => e.pointer))]).toEqual(["/escalations/fallbackOwner"]);
  });

  it("refuses the CSMs' language and zone in settings, saying they moved to PUT /v1/csms/{email}", async () => {
    const w = await stack.newWorkspace();
    const res = await w.request("PUT", "/v1/settings", {
      escalations: { csms: { "hanako@vendor.example": { locale: "ja", timezone: "Asia/Tokyo" } } },
    });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = (await res.json()) as { errors: { pointer: string; message: string }[] };
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]?.pointer).toBe("/escalations/csms");
    expect(body.errors[0]?.message).toContain("PUT /v1/csms/{email}");
    expect(body.errors[0]?.message).toContain("`locale` and `timezone`");
  });
});

describe("warnings before an escalation lands on no one", () => {
  it("publish and simulate warn while no CSM or fallback could take it, and stop once a fallback is set", async () => {
    const w = await stack.newWorkspace();
    await w.request("PUT", "/v1/csms/high@vendor.example", { tiers: ["high_touch"] });
    await w.request("PUT", "/v1/journeys/now", escalating());
    const published = await w.request("POST", "/v1/journeys/now/publish");
    expect(published.status).toBe(201);
    const { warnings } = (await published.json()) as { warnings: { pointer: string; message: string }[] };
    expect(warnings).toMatchObject([{ pointer: "/steps/0", rule: "escalation_unassignable" }]);
    expect(warnings[0]?.message).toContain("tech_touch (no active CSM serves it)");
    expect(warnings[0]?.message).not.toContain("high_touch");

    await w.request("PUT", "/v1/accounts/nobody", { name: "Nobody", tier: "tech_touch" });
    const sim = (await (
      await w.request("POST", "/v1/journeys/now/simulate", { accounts: ["nobody"] })
    ).json()) as SimulateResponse;
    expect(sim.accounts[0]?.escalations[0]?.assignee).toBeNull();
    expect(sim.warnings.map((x) => x.pointer)).toEqual(["/steps/0", "/steps/0"]);
    expect(sim.warnings[1]?.message).toBe("1 simulated escalation of this step would reach no one");

    await settings(w, { fallbackOwner: "lead@warn.example" });
    const again = await w.request("POST", "/v1/journeys/now/publish");
    expect(again.status).toBe(200);
    expect(((await again.json()) as { warnings: unknown[] }).warnings).toEqual([]);
    const fixed = (await (
      await w.request("POST", "/v1/journeys/now/simulate", { accounts: ["nobody"] })
    ).json()) as SimulateResponse;
    expect(fixed.warnings).toEqual([]);
    expect(fixed.accounts[0]?.escalations[0]?.assignee).toBe("lead@warn.example");
  });
});

describe("the simulator assigns as live routing does", () => {
  it("names, for the same accounts, the assignee the live run picks", async () => {
    const w = await stack.newWorkspace();
    await w.request("PUT", "/v1/csms/high@vendor.example", { tiers: ["high_touch"] });
    await w.request("PUT", "/v1/csms/low-a@vendor.example", { tiers: ["low_touch"] });
    await w.request("PUT", "/v1/csms/low-b@vendor.example", { tiers: ["low_touch"] });
    await settings(w, { fallbackOwner: "lead@same.example" });
    await w.request("PUT", "/v1/journeys/now", escalating("medium"));
    await w.request("POST", "/v1/journeys/now/publish");
    const people = [
      ["a-high", "high_touch", null],
      ["b-low", "low_touch", null],
      ["c-low", "low_touch", null],
      ["d-tech", "tech_touch", null],
      ["e-owned", "tech_touch", "owner@vendor.example"],
    ] as const;
    for (const [id, tier, ownerCsm] of people)
      await w.request("PUT", `/v1/accounts/${id}`, { name: id, tier, ownerCsm });

    const sim = (await (
      await w.request("POST", "/v1/journeys/now/simulate", { accounts: people.map(([id]) => id) })
    ).json()) as SimulateResponse;
    const simulated = Object.fromEntries(sim.accounts.map((a) => [a.account, a.escalations[0]?.assignee]));
    // In the simulator's order (by external id), one after another, as the live runs below.
    const live: Record<string, string | null> = {};
    for (const [id] of people) live[id] = (await enrollAndWait(w, "now", id)).assignee;

    expect(live).toEqual({
      "a-high": "high@vendor.example",
      "b-low": "low-a@vendor.example",
      "c-low": "low-b@vendor.example",
      "d-tech": "lead@same.example",
      "e-owned": "owner@vendor.example",
    });
    expect(simulated).toEqual(live);
  });
});

describe("the CSM's email", () => {
  /** An escalation due 2026-03-04T00:00Z on an account with health, ARR, renewal and last login. */
  async function escalationFor(w: TestWorkspace, account: string, ownerCsm: string) {
    await w.request("PUT", "/v1/journeys/hold", {
      name: "Onboarding hold",
      trigger: { type: "manual" },
      steps: [{ id: "w", type: "wait", duration: "P30D" }],
    });
    await w.request("POST", "/v1/journeys/hold/publish");
    await w.request("PUT", `/v1/accounts/${account}`, {
      name: `${account} Corp`,
      tier: "high_touch",
      ownerCsm,
      arr: 1200000,
      renewalDate: "2026-09-30",
    });
    const enrolled = (await (
      await w.request("POST", "/v1/enrollments", { journey: "hold", account })
    ).json()) as { id: string };
    const row = await findAccountRow(stack.database.db, w.workspaceId, account);
    if (!row) throw new Error("no account");
    const { db } = stack.database;
    await db
      .update(accounts)
      .set({ lastLoginAt: new Date("2026-02-20T03:30:00Z") })
      .where(eq(accounts.id, row.id));
    await db.insert(accountHealth).values([
      {
        workspaceId: w.workspaceId,
        accountId: row.id,
        computedAt: new Date("2026-02-27T00:00:00Z"),
        score: 70,
        band: "green",
        measures: {},
      },
      {
        workspaceId: w.workspaceId,
        accountId: row.id,
        computedAt: new Date("2026-03-01T00:00:00Z"),
        score: 58,
        band: "yellow",
        measures: {},
      },
    ]);
    const x = await openEscalation(stack.deps, {
      workspaceId: w.workspaceId,
      enrollmentId: enrolled.id,
      accountId: row.id,
      tier: "high_touch",
      escalationKey: "call:1",
      stepId: "call",
      reason: "Seats unused",
      priority: "high",
      sla: "P2D",
      assignee: ownerCsm,
      holdsJourney: false,
      at: "2026-03-02T00:00:00.000Z",
    });
    // What the journey did shows in the email: wait for the run to have written its first steps.
    await eventually(async () => {
      const run = (await (await w.request("GET", `/v1/enrollments/${enrolled.id}/trace`)).json()) as {
        trace: unknown[];
      };
      return run.trace.length > 0 ? run : undefined;
    }, "the run's first trace");
    const outcome = await notifyEscalation(stack.deps, {
      escalation: x,
      account: `${account} Corp`,
      stage: "opened",
      at: "2026-03-02T00:00:00.000Z",
      attempt: 1,
    });
    expect(outcome.status).toBe("sent");
    return x;
  }

  it("is HTML and text in Japanese, the deadline and last login in the CSM's zone (Asia/Tokyo)", async () => {
    const w = await stack.newWorkspace();
    await csm(w, "hanako@vendor.example", { name: "山田 花子", locale: "ja", timezone: "Asia/Tokyo" });
    const x = await escalationFor(w, "kaisha", "hanako@vendor.example");
    const mail = await mailTo("hanako@vendor.example");
    expect(mail.subject).toBe("【high】kaisha Corp:Seats unused");
    expect(mail.html).toContain('lang="ja"');
    expect(mail.html).toContain("山田 花子 さん");
    for (const part of [mail.html, mail.text]) {
      expect(part).toContain("2026年3月4日 9:00 JST"); // the deadline
      expect(part).toContain("2026年2月20日 12:30 JST"); // the last login
      expect(part).toContain("58(yellow)、前回から ▼ 12");
      expect(part).toContain("1,200,000");
      expect(part).toContain("2026年9月30日");
      expect(part).toContain("Onboarding hold");
      expect(part).toContain("entered");
      expect(part).toContain(`http://localhost:3000/v1/escalations/${x.id}`);
    }
  });

  it("is in English, the deadline in the CSM's zone (America/New_York), for a CSM set so", async () => {
    const w = await stack.newWorkspace();
    await csm(w, "sam@vendor.example", { name: "Sam", timezone: "America/New_York" });
    const x = await escalationFor(w, "acme", "sam@vendor.example");
    const mail = await mailTo("sam@vendor.example");
    expect(mail.subject).toBe("[high] acme Corp: Seats unused");
    expect(mail.html).toContain('lang="en"');
    for (const part of [mail.html, mail.text]) {
      expect(part).toContain("Mar 3, 2026, 7:00 PM EST");
      expect(part).toContain("Feb 19, 2026, 10:30 PM EST");
      expect(part).toContain("58 (yellow), ▼ 12 since the previous score");
      expect(part).toContain("September 30, 2026");
      expect(part).toContain(`http://localhost:3000/v1/escalations/${x.id}`);
    }
    expect(mail.html).not.toContain("2026-03-04T00:00:00");
  });
  it("is in English in the workspace's default zone for a CSM whose record names neither", async () => {
    const w = await stack.newWorkspace();
    await w.request("PUT", "/v1/settings", { delivery: { defaultTimezone: "Asia/Tokyo" } });
    await csm(w, "kim@vendor.example", { name: "Kim", locale: "ja", timezone: "Europe/Paris" });
    // A PUT replaces the record: without them, the language and zone are the defaults again.
    await csm(w, "kim@vendor.example", { name: "Kim" });
    await escalationFor(w, "nippon", "kim@vendor.example");
    const mail = await mailTo("kim@vendor.example");
    expect(mail.html).toContain('lang="en"');
    expect(mail.text).toContain("Mar 4, 2026, 9:00 AM GMT+9");
  });
});

describe("the CSM record", () => {
  it("keeps a CSM's language and zone and answers them on PUT and GET", async () => {
    const w = await stack.newWorkspace();
    await csm(w, "hanako@vendor.example", { locale: "ja", timezone: "Asia/Tokyo" });
    await csm(w, "sam@vendor.example", { locale: null });
    const list = (await (await w.request("GET", "/v1/csms")).json()) as {
      data: { email: string; locale: string | null; timezone: string | null }[];
    };
    expect(list.data.map(({ email, locale, timezone }) => ({ email, locale, timezone }))).toEqual([
      { email: "hanako@vendor.example", locale: "ja", timezone: "Asia/Tokyo" },
      { email: "sam@vendor.example", locale: null, timezone: null },
    ]);
  });

  it("refuses an unknown time zone at /timezone and a language the email is not written in at /locale", async () => {
    const w = await stack.newWorkspace();
    const res = await w.request("PUT", "/v1/csms/hanako@vendor.example", {
      locale: "fr",
      timezone: "Mars/Olympus",
    });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = (await res.json()) as { errors: { pointer: string; message: string }[] };
    expect(body.errors.map((e) => e.pointer).sort()).toEqual(["/locale", "/timezone"]);
    expect(body.errors.find((e) => e.pointer === "/timezone")?.message).toContain("IANA time zone");
    expect((await (await w.request("GET", "/v1/csms")).json()) as { data: unknown[] }).toEqual({ data: [] });
  });
});
