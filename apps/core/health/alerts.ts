import { WorkflowExecutionAlreadyStartedError } from "@temporalio/client";
import { and, desc, eq, gte, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { accounts, healthAlerts } from "../../../db/schema/index";
import { type HealthAlertsWorkflow, healthAlertsWorkflowId } from "../../../workflows/contracts";
import { postWebhook, type WebhookDeps } from "../delivery/webhooks";
import type { RuntimeDeps } from "../enrollments/runtime";
import { getSettings } from "../workspace/settings";
import { signingSecrets } from "../workspace/webhook-secret";

const Band = z.enum(["red", "yellow", "green"]);

export const HealthAlert = z
  .object({
    id: z.string(),
    account: z.string(),
    accountName: z.string(),
    from: Band,
    to: Band,
    score: z.number().int(),
    raisedAt: z.string(),
    notifiedAt: z.string().nullable(),
  })
  .meta({ id: "HealthAlert" });
export type HealthAlert = z.infer<typeof HealthAlert>;

export const HealthAlertQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional().meta({ description: "Default: 30 days ago" }),
  band: Band.optional().meta({ description: "Only alerts into this band" }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

type Crossing = {
  accountId: string;
  from: "red" | "yellow" | "green";
  to: "red" | "yellow" | "green";
  score: number;
};

/**
 * Records one alert per band crossing of a health run and starts their delivery (once per run); a
 * retried run records none twice.
 */
export async function raiseHealthAlerts(
  deps: RuntimeDeps,
  workspaceId: string,
  crossings: Crossing[],
  at: Date,
): Promise<number> {
  if (crossings.length === 0) return 0;
  await deps.db
    .insert(healthAlerts)
    .values(
      crossings.map((c) => ({
        workspaceId,
        accountId: c.accountId,
        fromBand: c.from,
        toBand: c.to,
        score: c.score,
        raisedAt: at,
      })),
    )
    .onConflictDoNothing({ target: [healthAlerts.accountId, healthAlerts.raisedAt] });
  const { webhookUrl } = (await getSettings(deps.db, workspaceId)).notifications;
  if (webhookUrl) {
    try {
      await deps.client.workflow.start<HealthAlertsWorkflow>("healthAlerts", {
        taskQueue: deps.taskQueue,
        workflowId: healthAlertsWorkflowId(workspaceId, at.toISOString()),
        args: [{ workspaceId }],
        workflowIdReusePolicy: "REJECT_DUPLICATE",
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  return crossings.length;
}

/** Posts every pending alert to the webhook (Slack-compatible), marking each once it is answered. */
export async function deliverHealthAlerts(
  deps: WebhookDeps,
  workspaceId: string,
  attempt: number,
): Promise<number> {
  const { db } = deps;
  const { webhookUrl } = (await getSettings(db, workspaceId)).notifications;
  if (!webhookUrl) return 0;
  const pending = await db
    .select({ alert: healthAlerts, name: accounts.name, externalId: accounts.externalId })
    .from(healthAlerts)
    .innerJoin(accounts, eq(accounts.id, healthAlerts.accountId))
    .where(and(eq(healthAlerts.workspaceId, workspaceId), isNull(healthAlerts.notifiedAt)))
    .orderBy(healthAlerts.raisedAt);
  // Read once for the batch, not once per alert.
  const secrets = await signingSecrets(deps, workspaceId);
  let sent = 0;
  for (const { alert, name, externalId } of pending) {
    const worse = rank[alert.toBand] < rank[alert.fromBand];
    const result = await postWebhook(
      webhookUrl,
      {
        text: `${worse ? "Health dropped" : "Health improved"}: ${name} (${externalId}) ${alert.fromBand} → ${alert.toBand}, score ${alert.score}`,
        event: "health.band_changed",
        alert: {
          id: alert.id,
          account: externalId,
          from: alert.fromBand,
          to: alert.toBand,
          score: alert.score,
        },
      },
      {
        idempotencyKey: `health-alert:${alert.id}`,
        attempt,
        maxAttempts: 8,
        policy: deps.outbound,
        signing: { secrets, at: deps.clock.now() },
      },
    );
    // Answered (delivered or refused for good): never posted again.
    await db.update(healthAlerts).set({ notifiedAt: deps.clock.now() }).where(eq(healthAlerts.id, alert.id));
    if (result.ok) sent++;
  }
  return sent;
}

const rank = { red: 0, yellow: 1, green: 2 } as const;

export async function listHealthAlerts(
  db: Db,
  workspaceId: string,
  query: z.infer<typeof HealthAlertQuery>,
  now: Date,
): Promise<HealthAlert[]> {
  const from = query.from ? new Date(query.from) : new Date(now.getTime() - 30 * 86_400_000);
  const rows = await db
    .select({ alert: healthAlerts, name: accounts.name, externalId: accounts.externalId })
    .from(healthAlerts)
    .innerJoin(accounts, eq(accounts.id, healthAlerts.accountId))
    .where(
      and(
        eq(healthAlerts.workspaceId, workspaceId),
        gte(healthAlerts.raisedAt, from),
        query.band ? eq(healthAlerts.toBand, query.band) : undefined,
      ),
    )
    .orderBy(desc(healthAlerts.raisedAt))
    .limit(query.limit);
  return rows.map(({ alert, name, externalId }) => ({
    id: alert.id,
    account: externalId,
    accountName: name,
    from: alert.fromBand,
    to: alert.toBand,
    score: alert.score,
    raisedAt: alert.raisedAt.toISOString(),
    notifiedAt: alert.notifiedAt?.toISOString() ?? null,
  }));
}
