import { z } from "zod";
import type { JourneyDefinition } from "../../../workflows/journey/schema";
import type { ValidationProblem } from "../../../workflows/journey/validate";
import type { RuntimeDeps } from "../enrollments/runtime";
import { loadRouting, ReachWarning, unassignableEscalations } from "../escalations/reach";
import { type OutboundPolicy, webhookTargetProblem } from "../shared/outbound";
import type { Services } from "../shared/services";
import { templateCatalog } from "../templates/message-templates";
import { ensureRenewalSchedule } from "../workspace/schedules";
import { findJourneyRow, getVersion, JourneyVersion, type PublishResult, publishJourney } from "./journeys";

export const PublishedVersion = JourneyVersion.extend({
  warnings: z.array(ReachWarning).meta({
    description: "What publishing did not refuse but should be fixed: an escalation that could reach no one",
  }),
}).meta({ id: "PublishedVersion" });
export type PublishedVersion = z.infer<typeof PublishedVersion>;

export type PublishOutcome =
  | { ok: true; version: PublishedVersion; created: boolean }
  | Extract<PublishResult, { ok: false }>;

/**
 * Publishes a journey's draft as its next immutable version, and makes sure the workspace's daily
 * renewal scan exists when the journey is triggered by a renewal window. Escalations that could land
 * on no one are warned about, not refused: the CSMs may be added after the journey.
 */
export async function publish(
  deps: RuntimeDeps & Pick<Services, "fileTemplates" | "outbound">,
  workspaceId: string,
  key: string,
): Promise<PublishOutcome> {
  const row = await findJourneyRow(deps.db, workspaceId, key);
  const refused = row ? webhookProblems(row.draft, deps.outbound) : [];
  if (refused.length > 0)
    return {
      ok: false,
      refusal: "invalid",
      problems: refused,
      detail: "The draft has problems; nothing was published.",
    };
  const templates = await templateCatalog(deps.db, workspaceId, deps.fileTemplates);
  const result = await publishJourney(deps.db, workspaceId, key, templates, deps.clock.now());
  if (!result.ok) return result;
  const published = await getVersion(deps.db, workspaceId, key, result.version.version);
  if ((published?.definition.trigger as { type?: string } | undefined)?.type === "renewal_window") {
    await ensureRenewalSchedule(deps.client, deps.taskQueue, workspaceId);
  }
  const definition = published?.definition as JourneyDefinition | undefined;
  const warnings = definition
    ? unassignableEscalations(definition, await loadRouting(deps.db, workspaceId))
    : [];
  return { ...result, version: { ...result.version, warnings } };
}

/**
 * Webhook steps whose URL is refused before sending: a literal internal address (the outbound guard),
 * or credentials, which would enter workflow histories with the definition.
 */
function webhookProblems(draft: unknown, policy: OutboundPolicy): ValidationProblem[] {
  const steps = (draft as { steps?: unknown })?.steps;
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((step: { type?: unknown; url?: unknown }, i) => {
    if (step?.type !== "webhook" || typeof step.url !== "string") return [];
    const problem = webhookTargetProblem(step.url, policy);
    return problem
      ? [{ pointer: `/steps/${i}/url`, message: problem, rule: "outbound_target" as const }]
      : [];
  });
}
