import type { JourneyDefinition } from "../../../workflows/journey/schema";
import { validateJourney } from "../../../workflows/journey/validate";
import { loadRouting, unassignableEscalations } from "../escalations/reach";
import type { Refusal } from "../shared/refusal";
import { templateCatalog } from "../templates/message-templates";
import type { JourneyDeps } from "./drafts";
import { findJourneyRow, getVersion } from "./journeys";
import {
  runSimulation,
  type SimulateRequest,
  type SimulateResponse,
  simulationLimitProblems,
  simulationWindow,
} from "./simulate";

export type SimulateJourneyResult =
  | { ok: true; response: SimulateResponse }
  | {
      ok: false;
      refusal: Refusal;
      /** `journey_invalid`: the definition could not be published; `limits`: the request asks too much. */
      why: "not_found" | "journey_invalid" | "limits";
      detail: string;
      problems: { pointer: string; message: string }[];
    };

/**
 * "Who would get what, when": runs a journey (a definition in the request, a published version, or
 * the draft) over the workspace's accounts or a synthetic population, in a bounded window.
 */
export async function simulateJourney(
  deps: JourneyDeps,
  workspaceId: string,
  key: string,
  request: SimulateRequest,
): Promise<SimulateJourneyResult> {
  const { db } = deps;
  const templates = await templateCatalog(db, workspaceId, deps.fileTemplates);
  const now = deps.clock.now();
  const notFound = (detail: string): SimulateJourneyResult => ({
    ok: false,
    refusal: "not_found",
    why: "not_found",
    detail,
    problems: [],
  });
  const row = await findJourneyRow(db, workspaceId, key);
  if (!row && !request.definition) return notFound(`No journey "${key}".`);

  let definition: unknown;
  let version: number | null = null;
  if (request.definition) {
    definition = { key, ...request.definition };
  } else if (request.version !== undefined) {
    const found = await getVersion(db, workspaceId, key, request.version);
    if (!found) return notFound(`No version ${request.version} of "${key}".`);
    definition = found.definition;
    version = found.version;
  } else {
    definition = row?.draft;
  }
  const validation = validateJourney(definition, templates);
  if (!validation.ok || !validation.journey) {
    return {
      ok: false,
      refusal: "invalid",
      why: "journey_invalid",
      detail: "Fix these problems first; the simulator runs only journeys that could be published.",
      problems: validation.problems.map((p) => ({
        ...p,
        pointer: request.definition ? `/definition${p.pointer}` : p.pointer,
      })),
    };
  }
  const window = simulationWindow(request, now);
  const limits = simulationLimitProblems(request, window);
  if (limits.length > 0)
    return {
      ok: false,
      refusal: "invalid",
      why: "limits",
      detail: "The request asks too much.",
      problems: limits,
    };
  const journey = validation.journey as JourneyDefinition;
  const routing = await loadRouting(db, workspaceId);
  const warnings = unassignableEscalations(journey, routing);
  const run = await runSimulation(db, workspaceId, journey, request.accounts, window, routing);
  const shown = run.accountsTruncated ? " (among the accounts shown)" : "";
  journey.steps.forEach((step, i) => {
    const nobody = run.accounts
      .flatMap((a) => a.escalations)
      .filter((x) => x.stepId === step.id && x.assignee === null).length;
    if (nobody > 0)
      warnings.push({
        pointer: `/steps/${i}`,
        rule: "escalation_unassignable",
        message: `${nobody} simulated escalation${nobody === 1 ? "" : "s"} of this step${shown} would reach no one`,
      });
  });
  return { ok: true, response: { journey: { key, version }, window, ...run, warnings } };
}
