import { beforeAll, describe, expect, it } from "vitest";
import { loadFileTemplates, loadPlaybooks } from "../apps/core/templates/files";
import { fileTemplateCatalog } from "../apps/core/templates/message-templates";
import { syntheticPopulation } from "../workflows/journey/population";
import type { JourneyDefinition } from "../workflows/journey/schema";
import { simulate } from "../workflows/journey/simulate";
import { simulateAccount } from "../workflows/journey/simulate-account";
import { type SimAccount, simEvent } from "../workflows/journey/simulate-timeline";
import { validateJourney } from "../workflows/journey/validate";

const playbooks = new Map<string, JourneyDefinition>();

beforeAll(async () => {
  const catalog = fileTemplateCatalog(await loadFileTemplates());
  for (const playbook of await loadPlaybooks()) {
    const result = validateJourney(playbook.definition, catalog);
    if (!result.ok)
      throw new Error(`${playbook.file} is invalid:\n${JSON.stringify(result.problems, null, 2)}`);
    playbooks.set(playbook.key, result.journey);
  }
});

function playbook(key: string): JourneyDefinition {
  const found = playbooks.get(key);
  if (!found) throw new Error(`no playbook ${key}`);
  return found;
}

function account(overrides: Partial<SimAccount>): SimAccount {
  return {
    externalId: "acme",
    tier: "tech_touch",
    stage: "onboarding",
    ownerCsm: "hanako@vendor.example",
    facts: { licenses: 4, renewal_date: "2026-06-30", "health.band": "green", "health.score": 80 },
    events: [],
    ...overrides,
  };
}

/** Four users who log in every working day from the start. */
function busyTeam(from: string, days: number) {
  const events = [];
  for (let d = 0; d < days; d++) {
    for (const user of ["u1", "u2", "u3", "u4"]) {
      events.push(
        simEvent(new Date(Date.parse(from) + d * 86_400_000 + 10 * 3_600_000).toISOString(), "login", {
          user,
        }),
      );
    }
  }
  return events;
}

const q1 = { from: "2026-01-01T00:00:00.000Z", to: "2026-04-01T00:00:00.000Z" };

describe("the three playbooks", () => {
  it("ship valid: onboarding, adoption and renewal", () => {
    expect([...playbooks.keys()].sort()).toEqual([
      "adoption-feature-breadth",
      "onboarding-tech-touch",
      "renewal-prep",
    ]);
  });

  it("onboarding: a silent account gets the welcome, setup nudges, then its CSM is called in on day 7", () => {
    const r = simulateAccount(playbook("onboarding-tech-touch"), account({}), q1);
    expect(r.touches.slice(0, 4).map((t) => [t.at.slice(0, 10), t.template])).toEqual([
      ["2026-01-01", "onboarding-welcome"],
      ["2026-01-04", "onboarding-invite-team"],
      ["2026-01-04", "invite-your-team"],
      ["2026-01-04", "onboarding-first-login"],
    ]);
    expect(r.escalations[0]).toMatchObject({
      at: "2026-01-08T00:00:00.000Z",
      reason: "No login 7 days after welcome",
      priority: "high",
      assignee: "hanako@vendor.example",
    });
  });

  it("onboarding: a fully deployed team that reaches first value gets no nudge and no call", () => {
    const events = busyTeam(q1.from, 90);
    events.push(simEvent("2026-01-05T12:00:00Z", "first_value"));
    events.sort((a, b) => a.ms - b.ms);
    const r = simulateAccount(playbook("onboarding-tech-touch"), account({ events }), q1);
    expect(r.escalations).toEqual([]);
    expect(r.touches.map((t) => t.template)).toEqual(["onboarding-welcome", "onboarding-check-in"]);
    expect(r.goalReachedAt).toBe("2026-01-05T12:00:00.000Z");
    expect(r.outcome).toBe("completed");
  });

  it("onboarding: leaves high-touch accounts to their CSM", () => {
    expect(
      simulateAccount(playbook("onboarding-tech-touch"), account({ tier: "high_touch" }), q1).outcome,
    ).toBe("not_enrolled");
  });

  it("renewal: kicks off 120 days out and escalates a red account to its CSM 90 days before renewal", () => {
    const window = { from: "2026-01-01T00:00:00.000Z", to: "2026-07-01T00:00:00.000Z" };
    const risky = account({
      facts: { licenses: 4, renewal_date: "2026-06-30", "health.band": "red", "health.score": 25 },
    });
    const r = simulateAccount(playbook("renewal-prep"), risky, window);
    expect(r.enteredAt).toBe("2026-03-02T00:00:00.000Z");
    expect(r.touches.slice(0, 2).map((t) => [t.template, t.to])).toEqual([
      ["renewal-kickoff", "role:decision_maker"],
      ["renewal-kickoff-champion", "role:champion"],
    ]);
    expect(r.escalations[0]).toMatchObject({
      at: "2026-04-01T00:00:00.000Z",
      assignee: "hanako@vendor.example",
      priority: "high",
    });

    const healthy = simulateAccount(
      playbook("renewal-prep"),
      account({ events: busyTeam(window.from, 180) }),
      window,
    );
    expect(healthy.escalations.filter((e) => e.stepId === "at-risk")).toEqual([]);
    expect(healthy.touches.map((t) => t.template)).toContain("renewal-roi-questions");
  });

  it("adoption: both variants of the reports tip are tested on a synthetic population", () => {
    const adoption = playbook("adoption-feature-breadth");
    const { summary } = simulate(adoption, syntheticPopulation(400, q1, adoption), q1);
    expect(summary.enrolled).toBe(400);
    expect(summary.touchesByStep["reports-howto"]).toBeGreaterThan(0);
    expect(summary.touchesByStep["reports-outcome"]).toBeGreaterThan(0);
    expect(summary.touchesByStep.kickoff).toBe(400);
  });

  it("every playbook simulates over a synthetic population with touches and, for onboarding, escalations", () => {
    for (const [key, journey] of playbooks) {
      const window = key === "renewal-prep" ? { from: q1.from, to: "2027-01-01T00:00:00.000Z" } : q1;
      const { summary } = simulate(journey, syntheticPopulation(300, window, journey), window, {
        engagement: { openRate: 0.45, clickRate: 0.12 },
      });
      expect(summary.enrolled, key).toBeGreaterThan(0);
      expect(summary.touches, key).toBeGreaterThan(summary.enrolled);
      if (key === "onboarding-tech-touch") expect(summary.escalations).toBeGreaterThan(0);
    }
  });
});
