import { z } from "zod";
import type { Db } from "../../../db/client";
import { tiers } from "../../../db/schema/index";
import { pickFromRoster, type RosterCsm } from "../../../workflows/journey/assignment";
import type { JourneyDefinition } from "../../../workflows/journey/schema";
import { getSettings } from "../workspace/settings";
import { loadRoster } from "./assign";

/**
 * Whether a journey's escalations would reach someone: publish and simulate warn (never refuse) about
 * an escalate step that could land on no one, given the workspace's CSMs and fallback owner today.
 */

export const ReachWarning = z
  .object({
    pointer: z.string().meta({ description: "The escalate step, as a JSON pointer into the definition" }),
    rule: z.enum(["escalation_unassignable"]),
    message: z.string(),
  })
  .meta({ id: "ReachWarning" });
export type ReachWarning = z.infer<typeof ReachWarning>;

/** What routing has to work with in the workspace: every active CSM, and the fallback owner. */
export async function loadRouting(
  db: Db,
  workspaceId: string,
): Promise<{ roster: RosterCsm[]; fallbackOwner: string | null }> {
  const [roster, settings] = await Promise.all([loadRoster(db, workspaceId), getSettings(db, workspaceId)]);
  return { roster, fallbackOwner: settings.escalations.fallbackOwner };
}

/**
 * Escalate steps whose escalation, for an account of the journey's audience without an owner CSM,
 * no one could take: no active CSM serves the tier, or all who do are at capacity now, and no
 * fallback owner is set. A step that names its assignee always reaches them.
 */
export function unassignableEscalations(
  journey: Pick<JourneyDefinition, "steps" | "audience">,
  routing: { roster: RosterCsm[]; fallbackOwner: string | null },
): ReachWarning[] {
  if (routing.fallbackOwner) return [];
  const audience = journey.audience.tiers ?? tiers;
  const stranded = audience.filter((tier) => !pickFromRoster(routing.roster, tier));
  if (stranded.length === 0) return [];
  const why = stranded.map((tier) => {
    const serving = routing.roster.some((c) => c.tiers.length === 0 || c.tiers.includes(tier));
    return `${tier} (${serving ? "every CSM serving it is at capacity" : "no active CSM serves it"})`;
  });
  return journey.steps.flatMap((step, i) =>
    step.type === "escalate" && step.assignee === "owner_csm"
      ? [
          {
            pointer: `/steps/${i}`,
            rule: "escalation_unassignable" as const,
            message: `An account without an owner CSM would reach no one for tier ${why.join(", ")}; set a fallback owner (PUT /v1/settings, /escalations/fallbackOwner) or a CSM for the tier`,
          },
        ]
      : [],
  );
}
