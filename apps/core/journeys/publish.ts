import type { ValidationProblem } from "../../../workflows/journey/validate";
import type { RuntimeDeps } from "../enrollments/runtime";
import { type OutboundPolicy, webhookTargetProblem } from "../shared/outbound";
import type { Services } from "../shared/services";
import { templateCatalog } from "../templates/message-templates";
import { ensureRenewalSchedule } from "../workspace/schedules";
import { findJourneyRow, getVersion, type PublishResult, publishJourney } from "./journeys";

/**
 * Publishes a journey's draft as its next immutable version, and makes sure the workspace's daily
 * renewal scan exists when the journey is triggered by a renewal window.
 */
export async function publish(
  deps: RuntimeDeps & Pick<Services, "fileTemplates" | "outbound">,
  workspaceId: string,
  key: string,
): Promise<PublishResult> {
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
  return result;
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
