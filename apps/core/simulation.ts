import { z } from "@hono/zod-openapi";
import { and, asc, eq, gte, inArray, lt } from "drizzle-orm";
import type { Db } from "../../db/client";
import { accounts, events } from "../../db/schema";
import { syntheticPopulation } from "../../workflows/journey/population";
import type { JourneyDefinition } from "../../workflows/journey/schema";
import {
  type SimAccount,
  type SimAccountResult,
  type SimSummary,
  type SimWindow,
  simulate,
} from "../../workflows/journey/simulate";
import { addDuration } from "../../workflows/journey/time";
import { MAX_INT4, storableText } from "./validators";

export const MAX_SYNTHETIC_ACCOUNTS = 100_000;
export const MAX_REAL_ACCOUNTS = 5_000;
/** Per-account detail in a response is capped; the summary always covers everyone. */
export const MAX_ACCOUNT_DETAIL = 1_000;

export const SimulateRequest = storableText(
  z.strictObject({
    version: z
      .number()
      .int()
      .min(1)
      .max(MAX_INT4)
      .optional()
      .openapi({ description: "A published version; default: the draft" }),
    definition: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: "A definition to try without saving it" }),
    accounts: z
      .union([
        z.array(z.string().min(1)).min(1).max(MAX_REAL_ACCOUNTS),
        z.number().int().min(1).max(MAX_SYNTHETIC_ACCOUNTS),
      ])
      .optional()
      .openapi({
        description: "Your accounts by externalId (with their stored events), or a synthetic count",
      }),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  }),
).openapi("SimulateRequest");
export type SimulateRequest = z.infer<typeof SimulateRequest>;

const Touch = z.object({
  at: z.string(),
  stepId: z.string(),
  channel: z.enum(["email", "in_app"]),
  template: z.string(),
  to: z.string(),
});
const Escalation = z.object({
  at: z.string(),
  stepId: z.string(),
  reason: z.string(),
  priority: z.string(),
  sla: z.string(),
  assignee: z.string().nullable(),
});

export const SimulateResponse = z
  .object({
    journey: z.object({ key: z.string(), version: z.number().int().nullable() }),
    window: z.object({ from: z.string(), to: z.string() }),
    population: z.enum(["synthetic", "accounts"]),
    summary: z.object({
      accounts: z.number().int(),
      enrolled: z.number().int(),
      touches: z.number().int(),
      escalations: z.number().int(),
      exited: z.number().int(),
      completed: z.number().int(),
      active: z.number().int(),
      goals: z.number().int(),
      touchesByStep: z.record(z.string(), z.number().int()),
    }),
    accounts: z.array(
      z.object({
        account: z.string(),
        enteredAt: z.string().nullable(),
        touches: z.array(Touch),
        escalations: z.array(Escalation),
        outcome: z.enum(["completed", "exited", "active", "not_enrolled"]),
        reason: z.string().optional(),
        goalReachedAt: z.string().optional(),
      }),
    ),
    accountsTruncated: z.boolean(),
    unknownAccounts: z.array(z.string()),
    durationMs: z.number(),
  })
  .openapi("SimulateResponse");
export type SimulateResponse = z.infer<typeof SimulateResponse>;

/** Default window: the last 90 days ("if this journey had run last quarter"). */
export function simulationWindow(request: Pick<SimulateRequest, "from" | "to">, now: Date): SimWindow {
  const to = request.to ? new Date(request.to).toISOString() : now.toISOString();
  const from = request.from ? new Date(request.from).toISOString() : addDuration(to, "-P90D");
  return { from, to };
}

/** Real accounts with their stored events, shaped for the simulator (two queries, no N+1). */
export async function loadSimAccounts(
  db: Db,
  workspaceId: string,
  externalIds: string[],
  window: SimWindow,
): Promise<{ accounts: SimAccount[]; unknown: string[] }> {
  const rows = await db
    .select()
    .from(accounts)
    .where(and(eq(accounts.workspaceId, workspaceId), inArray(accounts.externalId, externalIds)))
    .orderBy(asc(accounts.externalId));
  const found = new Set(rows.map((r) => r.externalId));
  const unknown = externalIds.filter((id) => !found.has(id));
  if (rows.length === 0) return { accounts: [], unknown };
  // 28 days before the window, so "active users in 28 days" is right from its first day.
  const since = new Date(addDuration(window.from, "-P28D"));
  const eventRows = await db
    .select({
      accountId: events.accountId,
      contactId: events.contactId,
      name: events.name,
      occurredAt: events.occurredAt,
      properties: events.properties,
    })
    .from(events)
    .where(
      and(
        eq(events.workspaceId, workspaceId),
        inArray(
          events.accountId,
          rows.map((r) => r.id),
        ),
        gte(events.occurredAt, since),
        lt(events.occurredAt, new Date(window.to)),
      ),
    )
    .orderBy(asc(events.occurredAt));
  const byAccount = new Map<string, SimAccount["events"]>();
  for (const e of eventRows) {
    const list = byAccount.get(e.accountId) ?? [];
    const user = e.contactId ?? (typeof e.properties.user === "string" ? e.properties.user : undefined);
    list.push({
      at: e.occurredAt.toISOString(),
      ms: e.occurredAt.getTime(),
      name: e.name,
      properties: e.properties,
      ...(user ? { user } : {}),
    });
    byAccount.set(e.accountId, list);
  }
  return {
    unknown,
    accounts: rows.map((r) => ({
      externalId: r.externalId,
      tier: r.tier,
      stage: r.lifecycleStage,
      ownerCsm: r.ownerCsm,
      facts: {
        ...Object.fromEntries(Object.entries(r.attributes).map(([k, v]) => [`attributes.${k}`, v])),
        ...(r.arr !== null ? { arr: r.arr } : {}),
        ...(r.licenses !== null ? { licenses: r.licenses } : {}),
        ...(r.renewalDate ? { renewal_date: r.renewalDate } : {}),
        ...(r.contractStart ? { contract_start: r.contractStart } : {}),
        ...(r.healthScore !== null ? { "health.score": r.healthScore } : {}),
        ...(r.healthBand ? { "health.band": r.healthBand } : {}),
      },
      events: byAccount.get(r.id) ?? [],
    })),
  };
}

export type SimulationRun = {
  summary: SimSummary;
  accounts: SimAccountResult[];
  accountsTruncated: boolean;
  unknownAccounts: string[];
  population: "synthetic" | "accounts";
  durationMs: number;
};

/** Runs a simulation over real accounts (by externalId) or a synthetic population (a count; default 100). */
export async function runSimulation(
  db: Db,
  workspaceId: string,
  journey: JourneyDefinition,
  population: string[] | number | undefined,
  window: SimWindow,
): Promise<SimulationRun> {
  const started = performance.now();
  let source: Iterable<SimAccount>;
  let unknown: string[] = [];
  if (Array.isArray(population)) {
    const loaded = await loadSimAccounts(db, workspaceId, population, window);
    source = loaded.accounts;
    unknown = loaded.unknown;
  } else {
    source = syntheticPopulation(population ?? 100, window, journey);
  }
  const result = simulate(journey, source, window, { engagement: { openRate: 0.45, clickRate: 0.12 } });
  return {
    summary: result.summary,
    accounts: result.accounts.slice(0, MAX_ACCOUNT_DETAIL),
    accountsTruncated: result.accounts.length > MAX_ACCOUNT_DETAIL,
    unknownAccounts: unknown,
    population: Array.isArray(population) ? "accounts" : "synthetic",
    durationMs: Math.round(performance.now() - started),
  };
}
