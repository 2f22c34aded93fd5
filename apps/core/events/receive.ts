import type { Services } from "../shared/services";
import { type IngestResult, ingestEvents } from "./ingest";
import { type RoutingDeps, startRouting, sweepUnrouted } from "./route";

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
  // The sweep takes batches stored over a minute ago, never this one: read beside the insert, the
  // request waits for one round trip instead of two.
  const [result, swept] = await Promise.all([
    ingestEvents(deps.db, workspaceId, items, deps.clock.now()),
    sweepUnrouted(deps, workspaceId),
  ]);
  return { ...result, routing: await startRouting(deps, workspaceId, result.batchIds, swept) };
}
