import type { Services } from "../shared/services";
import { type IngestResult, ingestEvents } from "./ingest";
import { type RoutingDeps, startRouting } from "./route";

export type Received = IngestResult & {
  /** The workflow routing the newly stored events; null when none were new or it could not start. */
  routing: { workflowId: string } | null;
};

/** A batch of events from the API: each item stored or refused on its own, the new ones routed. */
export async function receiveEvents(
  deps: RoutingDeps & Pick<Services, "clock">,
  workspaceId: string,
  items: unknown[],
): Promise<Received> {
  const result = await ingestEvents(deps.db, workspaceId, items, deps.clock.now());
  return { ...result, routing: await startRouting(deps, workspaceId, result.storedIds) };
}
