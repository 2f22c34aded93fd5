import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from "@temporalio/client";
import { eq } from "drizzle-orm";
import { parse as parseDuration } from "tinyduration";
import type { Db } from "../../../db/client";
import { healthScorecards, workspaces } from "../../../db/schema/index";
import { type HealthRecomputeWorkflow, healthScheduleId } from "../../../workflows/contracts";
import type { Services } from "../shared/services";
import { defaultScorecard, Scorecard } from "./scorecard";

/** What keeping a workspace's Schedule needs. */
export type ScheduleDeps = Pick<Services, "db" | "client" | "taskQueue" | "clock">;

/** The workspace's health recompute Schedule, every `every` (ISO-8601); updated when the scorecard changes. */
export async function ensureHealthSchedule(
  client: Client,
  taskQueue: string,
  workspaceId: string,
  every: string,
): Promise<void> {
  const scheduleId = healthScheduleId(workspaceId);
  const spec = { intervals: [{ every: isoToMs(every) }] };
  try {
    await client.schedule.create<HealthRecomputeWorkflow>({
      scheduleId,
      spec,
      action: {
        type: "startWorkflow",
        workflowType: "healthRecompute",
        taskQueue,
        args: [{ workspaceId }],
        workflowId: scheduleId,
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec }));
  }
}

/**
 * Every workspace's health Schedule, at its scorecard's interval (`npm start`, and after a workspace
 * is created): idempotent, a few workspaces at a time. Returns how many workspaces there are.
 */
export async function ensureHealthSchedules(
  client: Client,
  taskQueue: string,
  db: Db,
  warn: (message: string) => void = () => {},
): Promise<number> {
  const rows = await db
    .select({ id: workspaces.id, scorecard: healthScorecards.scorecard })
    .from(workspaces)
    .leftJoin(healthScorecards, eq(healthScorecards.workspaceId, workspaces.id));
  const CONCURRENCY = 8;
  for (let i = 0; i < rows.length; i += CONCURRENCY) {
    await Promise.all(
      rows.slice(i, i + CONCURRENCY).map(async ({ id, scorecard }) => {
        // One workspace's stored scorecard (saved under older rules) must not stop everyone's start.
        const parsed = scorecard ? Scorecard.safeParse(scorecard) : undefined;
        if (parsed && !parsed.success)
          warn(
            `workspace ${id}: stored scorecard no longer valid (${parsed.error.issues[0]?.message}); using the default interval`,
          );
        const every = parsed?.success ? parsed.data.every : defaultScorecard.every;
        try {
          await ensureHealthSchedule(client, taskQueue, id, every);
        } catch (err) {
          warn(
            `workspace ${id}: health Schedule not ensured (${(err as Error).message}); the next start tries again`,
          );
        }
      }),
    );
  }
  return rows.length;
}

function isoToMs(duration: string): number {
  const parsed = parseDuration(duration);
  return (((parsed.days ?? 0) * 24 + (parsed.hours ?? 0)) * 60 + (parsed.minutes ?? 0)) * 60_000;
}
