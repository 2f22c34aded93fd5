import { z } from "zod";
import type { JourneyDefinition } from "../../../workflows/journey/schema";
import { type ValidationProblem, validateJourney } from "../../../workflows/journey/validate";
import {
  type BulkLimits,
  BulkOperation,
  defaultBulkLimits,
  startBulkOperation,
} from "../enrollments/bulk-operations";
import type { RuntimeDeps } from "../enrollments/runtime";
import { loadRouting, ReachWarning, unassignableEscalations } from "../escalations/reach";
import { type OutboundPolicy, webhookTargetProblem } from "../shared/outbound";
import type { Services } from "../shared/services";
import { templateCatalog } from "../templates/message-templates";
import { ensureRenewalSchedule } from "../workspace/schedules";
import {
  BackfillOption,
  type BackfillPreview,
  BackfillResult,
  backfill,
  backfillRefusal,
  countBackfill,
  previewBackfill,
} from "./backfill";
import { findJourneyRow, getVersion, JourneyVersion, type PublishResult, publishJourney } from "./journeys";

export const PublishedVersion = JourneyVersion.extend({
  warnings: z.array(ReachWarning).meta({
    description: "What publishing did not refuse but should be fixed: an escalation that could reach no one",
  }),
  backfill: z
    .union([BackfillResult, z.object({ operation: BulkOperation })])
    .optional()
    .meta({
      description:
        "Present when the request asked for a backfill: its result, or, when it matched more accounts than are enrolled within the request (or `Prefer: respond-async` was sent), the bulk operation enrolling them, to follow at GET /v1/bulk-operations/{id}",
    }),
}).meta({ id: "PublishedVersion" });
export type PublishedVersion = z.infer<typeof PublishedVersion>;

export const PublishRequest = z
  .strictObject({ backfill: BackfillOption.optional() })
  .meta({ id: "PublishRequest" });
export type PublishRequest = z.infer<typeof PublishRequest>;

export type PublishOutcome =
  | { ok: true; version: PublishedVersion; created: boolean }
  | { ok: true; preview: BackfillPreview }
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
  request: PublishRequest = {},
  options: { background?: boolean; limits?: Partial<BulkLimits> } = {},
): Promise<PublishOutcome> {
  const row = await findJourneyRow(deps.db, workspaceId, key);
  const wanted = request.backfill ?? false;
  const noBackfill = row && wanted !== false ? backfillRefusal(triggerOf(row.draft)) : undefined;
  // Refused before publishing: a 422 must not leave the journey published without its backfill.
  if (noBackfill)
    return {
      ok: false,
      refusal: "invalid",
      problems: [{ pointer: "/backfill", message: noBackfill, rule: "backfill" }],
      detail: "Nothing was published.",
    };
  const refused = row ? webhookProblems(row.draft, deps.outbound) : [];
  if (refused.length > 0)
    return {
      ok: false,
      refusal: "invalid",
      problems: refused,
      detail: "The draft has problems; nothing was published.",
    };
  const templates = await templateCatalog(deps.db, workspaceId, deps.fileTemplates);
  if (row && wanted === "dry_run") {
    // Counted over the draft, as publishing would freeze it; nothing is written.
    const validation = validateJourney(row.draft, templates);
    if (!validation.ok)
      return {
        ok: false,
        refusal: "invalid",
        problems: validation.problems,
        detail: "The draft has problems; nothing was counted.",
      };
    const journey = { id: row.id, key, definition: validation.journey };
    return {
      ok: true,
      preview: await previewBackfill(deps.db, { workspaceId, journey, at: deps.clock.now() }),
    };
  }
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
  const filled =
    row && definition && wanted === true
      ? {
          backfill: await backfillNowOrLater(
            deps,
            { workspaceId, journey: row, definition, version: result.version },
            options,
          ),
        }
      : {};
  return { ...result, version: { ...result.version, warnings, ...filled } };
}

/**
 * Backfills within the request up to the sync limit of matching accounts; above it (or when asked
 * to), starts a backfill operation over the version just published and answers with it.
 */
async function backfillNowOrLater(
  deps: RuntimeDeps,
  input: {
    workspaceId: string;
    journey: { id: string; key: string };
    definition: JourneyDefinition;
    version: { version: number };
  },
  options: { background?: boolean; limits?: Partial<BulkLimits> },
): Promise<NonNullable<PublishedVersion["backfill"]>> {
  const { workspaceId, journey, definition } = input;
  const limits = { ...defaultBulkLimits, ...options.limits };
  const total = await countBackfill(deps.db, { workspaceId, definition, at: deps.clock.now() });
  if (!options.background && total <= limits.syncLimit)
    return backfill(deps, { workspaceId, journeyId: journey.id, definition });
  const operation = await startBulkOperation(deps, {
    workspaceId,
    journey,
    kind: "backfill",
    request: { version: input.version.version },
    total,
    batchSize: limits.batchSize,
  });
  return { operation };
}

function triggerOf(draft: unknown): { type?: unknown } | undefined {
  return (draft as { trigger?: { type?: unknown } } | null)?.trigger;
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
