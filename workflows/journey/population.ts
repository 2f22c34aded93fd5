import { hashUnit } from "./hash-unit";
import type { JourneyDefinition } from "./schema";
import type { SimAccount, SimEvent, SimWindow } from "./simulate-timeline";
import { addDuration, daysBetween } from "./time";

/**
 * A synthetic, deterministic population for simulations before launch: the same count and window
 * always give the same accounts. Engagement follows three archetypes seen in the field reports:
 * engaged teams that deploy fast, slow adopters, and dormant accounts that need a human.
 */

type Archetype = {
  name: string;
  share: number;
  loginRate: number;
  deployed: number;
  health: [number, number];
};

const archetypes: Archetype[] = [
  { name: "engaged", share: 0.4, loginRate: 0.85, deployed: 0.9, health: [72, 96] },
  { name: "slow", share: 0.35, loginRate: 0.35, deployed: 0.5, health: [45, 72] },
  { name: "dormant", share: 0.25, loginRate: 0.04, deployed: 0.12, health: [8, 42] },
];

const features = ["report_created", "integration_connected", "dashboard_shared", "card_scanned"];

function pick<T extends { share: number }>(items: T[], roll: number): T {
  let floor = 0;
  for (const item of items) {
    floor += item.share;
    if (roll < floor) return item;
  }
  return items[items.length - 1] as T;
}

/** Band of a 0–100 health score: red under 40, yellow under 70, else green. */
export function bandOf(score: number): "red" | "yellow" | "green" {
  return score < 40 ? "red" : score < 70 ? "yellow" : "green";
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** mulberry32: a tiny seeded PRNG, so one hash per account seeds every draw for it. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticAccount(index: number, window: SimWindow, journey?: JourneyDefinition): SimAccount {
  const id = `sim-${String(index).padStart(6, "0")}`;
  const next = prng(Math.floor(hashUnit(id) * 4294967296));
  const archetype = pick(archetypes, next());
  const tierRoll = next();
  const tier = tierRoll < 0.7 ? "tech_touch" : tierRoll < 0.9 ? "low_touch" : "high_touch";
  const licenses = 5 + Math.floor(next() * 195);
  const trigger = journey?.trigger;
  const stage = trigger?.type === "stage_entered" ? trigger.stage : "onboarding";
  const score = Math.round(archetype.health[0] + next() * (archetype.health[1] - archetype.health[0]));
  const fromMs = Date.parse(window.from);
  const days = Math.max(1, daysBetween(window.from, window.to));
  // Renewal dates spread over the year after the window starts, so renewal journeys see every phase.
  const renewalDate = addDuration(window.from, `P${30 + Math.floor(next() * 335)}D`).slice(0, 10);
  const users = Math.max(1, Math.round(licenses * archetype.deployed));
  // Deployment grows over the first weeks: the pool of users who log in widens day by day.
  const rampDays = 10 + Math.floor(next() * 30);

  const events: SimEvent[] = [];
  let logins = 0;
  for (let day = 0; day < days; day++) {
    if (next() >= archetype.loginRate) continue;
    const pool = Math.max(1, Math.round((users * Math.min(day + 1, rampDays)) / rampDays));
    const active = 1 + Math.floor(next() * Math.min(pool, 4));
    for (let u = 0; u < active; u++) {
      const user = `u${Math.floor(next() * pool)}`;
      const ms = fromMs + day * DAY_MS + (9 + Math.floor(next() * 9)) * HOUR_MS + u * 60_000;
      events.push({ at: new Date(ms).toISOString(), ms, name: "login", user });
      logins++;
      if (next() < 0.3) {
        const name = features[Math.floor(next() * features.length)] ?? "report_created";
        const at = ms + 20 * 60_000;
        events.push({ at: new Date(at).toISOString(), ms: at, name, user });
      }
      if (logins === 12) {
        const at = ms + 30 * 60_000;
        events.push({ at: new Date(at).toISOString(), ms: at, name: "first_value", user });
      }
    }
  }
  events.sort((a, b) => a.ms - b.ms);

  return {
    externalId: id,
    tier,
    stage,
    ownerCsm: tier === "tech_touch" ? null : `csm${1 + (index % 7)}@example.com`,
    facts: {
      arr: licenses * 60_000,
      licenses,
      renewal_date: renewalDate,
      contract_start: addDuration(renewalDate, "-P1Y").slice(0, 10),
      "health.score": score,
      "health.band": bandOf(score),
      "attributes.archetype": archetype.name,
    },
    events,
  };
}

/** `count` synthetic accounts, generated lazily so a large population never sits in memory at once. */
export function* syntheticPopulation(
  count: number,
  window: SimWindow,
  journey?: JourneyDefinition,
): Generator<SimAccount> {
  for (let i = 0; i < count; i++) yield syntheticAccount(i, window, journey);
}
