/**
 * The activity interfaces workflows call. Implementations live in apps/worker; workflows see only these types.
 */
export interface EventActivities {
  /** Folds stored events into account facts; returns how many accounts changed. */
  applyEventFacts(input: { workspaceId: string; eventIds: string[] }): Promise<number>;
}
