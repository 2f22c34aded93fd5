import type { Db } from "../../db/client";
import type { EventActivities } from "../../workflows/activities";
import { applyEventFacts } from "../core/events";

export type ActivityDeps = { db: Db };

/** All activities, built from their dependencies (no module state), so tests pass their own. */
export function createActivities({ db }: ActivityDeps): EventActivities {
  return {
    applyEventFacts: ({ workspaceId, eventIds }) => applyEventFacts(db, workspaceId, eventIds),
  };
}
