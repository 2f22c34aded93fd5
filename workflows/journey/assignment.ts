/**
 * Who gets an escalation: the one rule, shared by live routing (apps/core/escalations) and the
 * simulator, so "which CSM gets which escalation" answers the same in both.
 */

/** An active CSM as routing sees one. */
export type RosterCsm = {
  email: string;
  /** Tiers served; empty serves every tier. */
  tiers: readonly string[];
  /** Open escalations at most; null: no limit. */
  capacity: number | null;
  /** Escalations open or acknowledged now. */
  openLoad: number;
  /** When it was last picked (ms since the epoch), for round robin; null: never. */
  lastPick: number | null;
};

export type Assignment = {
  assignee: string | null;
  /** `step`: the step named someone (or the account's owner CSM); `fallback`: the workspace's fallback owner. */
  via: "step" | "round_robin" | "fallback" | "nobody";
};

/** The step's own assignee: an email as written, or the account's owner CSM (null when it has none). */
export function stepAssignee(assignee: string, ownerCsm: string | null | undefined): string | null {
  return assignee === "owner_csm" ? (ownerCsm ?? null) : assignee;
}

/**
 * Capacity-aware round robin among active CSMs serving the tier: the smallest open load with room
 * left, then the one picked longest ago (never first), then by email.
 */
export function pickFromRoster(roster: readonly RosterCsm[], tier: string): RosterCsm | undefined {
  return roster
    .filter((c) => c.tiers.length === 0 || c.tiers.includes(tier))
    .filter((c) => c.capacity === null || c.openLoad < c.capacity)
    .sort(
      (a, b) =>
        a.openLoad - b.openLoad || (a.lastPick ?? -1) - (b.lastPick ?? -1) || compare(a.email, b.email),
    )[0];
}

// By code unit, as the SQL it replaces ordered: no locale may change who is picked.
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The assignee of a new escalation: the step's (or owner CSM), else the round robin's pick, else the
 * workspace's fallback owner, else nobody.
 */
export function chooseAssignee(
  request: { explicit: string | null; tier: string },
  roster: readonly RosterCsm[],
  fallbackOwner: string | null,
): Assignment {
  if (request.explicit) return { assignee: request.explicit, via: "step" };
  const picked = pickFromRoster(roster, request.tier);
  if (picked) return { assignee: picked.email, via: "round_robin" };
  if (fallbackOwner) return { assignee: fallbackOwner, via: "fallback" };
  return { assignee: null, via: "nobody" };
}

/**
 * The simulator's side of a pick: the CSM carries one more open escalation (for the rest of the
 * window: simulated accounts run one after another, not side by side) and goes to the back of the
 * round robin.
 */
export function recordPick(roster: RosterCsm[], email: string): void {
  const picked = roster.find((c) => c.email === email);
  if (!picked) return;
  picked.openLoad++;
  picked.lastPick = Math.max(...roster.map((c) => c.lastPick ?? 0)) + 1;
}
