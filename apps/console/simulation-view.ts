import type { SimulateResponse } from "../core/journeys/simulate";

/** What the simulate page shows, shaped from one or two simulator runs over the same population. */
export type SimulationView = {
  summary: SimulateResponse["summary"];
  liveSummary?: SimulateResponse["summary"];
  /** Every day of the window (UTC), with the touches sent that day. */
  days: string[];
  touchesPerDay: number[];
  liveTouchesPerDay?: number[];
  steps: { stepId: string; touches: number; liveTouches?: number }[];
  /** Monday (UTC) of every week of the window. */
  weeks: string[];
  csms: { email: string; capacity: number | null; perWeek: number[]; busiest: number; weeksOver: number }[];
  samples: {
    account: string;
    outcome: string;
    touches: { day: number; stepId: string; template: string; channel: string }[];
    escalations: number;
  }[];
  accountsTruncated: boolean;
  warnings: string[];
  durationMs: number;
};

const DAY = 86_400_000;
const dayOf = (iso: string) => iso.slice(0, 10);

function mondayOf(iso: string): string {
  const d = new Date(`${dayOf(iso)}T00:00:00Z`);
  const back = (d.getUTCDay() + 6) % 7;
  return new Date(d.getTime() - back * DAY).toISOString().slice(0, 10);
}

function perDay(run: SimulateResponse, days: string[]): number[] {
  const index = new Map(days.map((d, i) => [d, i]));
  const counts = days.map(() => 0);
  for (const account of run.accounts)
    for (const touch of account.touches) {
      const i = index.get(dayOf(touch.at));
      if (i !== undefined) counts[i] = (counts[i] ?? 0) + 1;
    }
  return counts;
}

export function simulationView(
  run: SimulateResponse,
  stepIds: string[],
  capacities: Map<string, number | null>,
  live?: SimulateResponse,
): SimulationView {
  const from = Date.parse(`${dayOf(run.window.from)}T00:00:00Z`);
  const to = Date.parse(run.window.to);
  const days: string[] = [];
  for (let t = from; t <= to && days.length < 800; t += DAY)
    days.push(new Date(t).toISOString().slice(0, 10));
  const weeks = [...new Set(days.map(mondayOf))];
  const weekIndex = new Map(weeks.map((w, i) => [w, i]));
  const byCsm = new Map<string, number[]>();
  for (const account of run.accounts)
    for (const x of account.escalations) {
      const who = x.assignee ?? "";
      const counts = byCsm.get(who) ?? weeks.map(() => 0);
      const i = weekIndex.get(mondayOf(x.at));
      if (i !== undefined) counts[i] = (counts[i] ?? 0) + 1;
      byCsm.set(who, counts);
    }
  const csms = [...byCsm.entries()]
    .map(([email, perWeek]) => {
      const capacity = capacities.get(email) ?? null;
      return {
        email,
        capacity,
        perWeek,
        busiest: Math.max(0, ...perWeek),
        weeksOver: capacity === null ? 0 : perWeek.filter((n) => n > capacity).length,
      };
    })
    .sort((a, b) => b.busiest - a.busiest || a.email.localeCompare(b.email));
  const start = Date.parse(run.window.from);
  return {
    summary: run.summary,
    ...(live ? { liveSummary: live.summary } : {}),
    days,
    touchesPerDay: perDay(run, days),
    ...(live ? { liveTouchesPerDay: perDay(live, days) } : {}),
    steps: [...new Set([...stepIds, ...Object.keys(run.summary.touchesByStep)])].map((stepId) => ({
      stepId,
      touches: run.summary.touchesByStep[stepId] ?? 0,
      ...(live ? { liveTouches: live.summary.touchesByStep[stepId] ?? 0 } : {}),
    })),
    weeks,
    csms,
    samples: run.accounts
      .filter((a) => a.outcome !== "not_enrolled")
      .slice(0, 8)
      .map((a) => ({
        account: a.account,
        outcome: a.outcome,
        touches: a.touches.map((t) => ({
          day: Math.floor((Date.parse(t.at) - start) / DAY),
          stepId: t.stepId,
          template: t.template,
          channel: t.channel,
        })),
        escalations: a.escalations.length,
      })),
    accountsTruncated: run.accountsTruncated,
    warnings: run.warnings.map((w) => `${w.pointer}: ${w.message}`),
    durationMs: run.durationMs + (live?.durationMs ?? 0),
  };
}
