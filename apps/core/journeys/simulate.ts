import { and, asc, eq, gte, inArray, lt } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { accounts, contacts, events } from "../../../db/schema/index";
import { syntheticPopulation } from "../../../workflows/journey/population";
import type { JourneyDefinition } from "../../../workflows/journey/schema";
import {
  type SimAccount,
  type SimAccountResult,
  type SimOptions,
  type SimSummary,
  type SimWindow,
  simulate,
} from "../../../workflows/journey/simulate";
import { addDuration } from "../../../workflows/journey/time";
import { ReachWarning } from "../escalations/reach";
import { JourneyBody, MAX_INT4, storableText } from "../shared/validators";

export const MAX_SYNTHETIC_ACCOUNTS = 100_000;
export const MAX_REAL_ACCOUNTS = 5_000;
/** Per-account detail in a response is capped; the summary always covers everyone. */
export const MAX_ACCOUNT_DETAIL = 1_000;

/** Runs on the API thread: the window and the work (accounts × days) are bounded. */
export const MAX_WINDOW_DAYS = 731;
export const MAX_ACCOUNT_DAYS = 2_000_000;

const SimInstant = z.iso.datetime({ offset: true }).refine((value) => {
  const year = new Date(value).getUTCFullYear();
  // Not a date at all is the format check's to report.
  return Number.isNaN(year) || (year >= 1970 && year <= 9999);
}, "must fall in the years 1970–9999");

export const SimulateRequest = storableText(
  z.strictObject({
    version: z
      .number()
      .int()
      .min(1)
      .max(MAX_INT4)
      .optional()
      .meta({ description: "A published version; default: the draft" }),
    definition: JourneyBody.optional().meta({ description: "A definition to try without saving it" }),
    accounts: z
      .union([
        z.array(z.string().min(1)).min(1).max(MAX_REAL_ACCOUNTS),
        z.number().int().min(1).max(MAX_SYNTHETIC_ACCOUNTS),
      ])
      .optional()
      .meta({
        description: "Your accounts by externalId (with their stored events), or a synthetic count",
      }),
    from: SimInstant.optional(),
    to: SimInstant.optional(),
  }),
).meta({ id: "SimulateRequest" });
export type SimulateRequest = z.infer<typeof SimulateRequest>;

const Touch = z.object({
  at: z.string(),
  stepId: z.string(),
  channel: z.enum(["email", "in_app"]),
  template: z.string(),
  to: z.string(),
  recipients: z.array(z.string()).optional().meta({
    description: "Who `to` reaches among the account's contacts; empty: no one (real accounts only)",
  }),
  waitingForRecipients: z
    .object({
      status: z.literal("waiting_for_recipients"),
      bound: z.string().meta({ description: "The step's `waitForRecipients` (default PT24H)" }),
      until: z.string(),
      otherwise: z.object({ status: z.literal("skipped"), reason: z.string() }),
    })
    .optional()
    .meta({
      description:
        "When `to` names none of the account's contacts: live, the touch (and its run) waits for one until `until`, then is skipped with `otherwise.reason` unless a contact arrives. As the trace's `waiting_for_recipients`; the simulator holds the run until then",
    }),
});
const Entry = z.object({
  enteredAt: z.string(),
  finishedAt: z.string().nullable(),
  outcome: z.enum(["completed", "exited", "active"]),
  reason: z.string().optional(),
  goalReachedAt: z.string().optional(),
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
      enrolled: z.number().int().meta({ description: "Enrollments, counting re-entries" }),
      accountsEnrolled: z.number().int(),
      touches: z.number().int(),
      escalations: z.number().int(),
      exited: z.number().int(),
      completed: z.number().int(),
      active: z.number().int(),
      goals: z.number().int(),
      touchesWithoutRecipient: z.number().int(),
      touchesWaitingForRecipients: z.number().int().meta({
        description:
          "Touches without recipient that live would first wait for contacts (`waitingForRecipients`)",
      }),
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
        entries: z.array(Entry).meta({ description: "Every enrollment, as the re-entry policy allows" }),
        stage: z.string().optional().meta({ description: "The stage at the end, when set_stage changed it" }),
      }),
    ),
    accountsTruncated: z.boolean(),
    unknownAccounts: z.array(z.string()),
    warnings: z.array(ReachWarning).meta({
      description:
        "Escalations that could land on no one: an escalate step no CSM or fallback owner could take for some tier, and how many simulated escalations found no one",
    }),
    durationMs: z.number(),
  })
  .meta({ id: "SimulateResponse" });
export type SimulateResponse = z.infer<typeof SimulateResponse>;

/** Default window: the last 90 days ("if this journey had run last quarter"). */
export function simulationWindow(request: Pick<SimulateRequest, "from" | "to">, now: Date): SimWindow {
  const to = request.to ? new Date(request.to).toISOString() : now.toISOString();
  const from = request.from ? new Date(request.from).toISOString() : addDuration(to, "-P90D");
  return { from, to };
}

/** What makes a simulation request too big or backwards to run, each with its pointer. */
export function simulationLimitProblems(
  request: Pick<SimulateRequest, "from" | "to" | "accounts">,
  window: SimWindow,
): { pointer: string; message: string }[] {
  const days = (Date.parse(window.to) - Date.parse(window.from)) / 86_400_000;
  const windowPointer = request.to !== undefined ? "/to" : "/from";
  if (!(days > 0)) return [{ pointer: "/to", message: "must be after `from`" }];
  if (days > MAX_WINDOW_DAYS) {
    return [
      {
        pointer: windowPointer,
        message: `the window is ${Math.ceil(days)} days; simulate at most ${MAX_WINDOW_DAYS} (two years)`,
      },
    ];
  }
  const accounts = Array.isArray(request.accounts) ? request.accounts.length : (request.accounts ?? 100);
  const work = accounts * Math.ceil(days);
  if (work > MAX_ACCOUNT_DAYS) {
    return [
      {
        pointer: "/accounts",
        message: `${accounts} accounts over ${Math.ceil(days)} days is ${work} account-days; at most ${MAX_ACCOUNT_DAYS} (fewer accounts or a shorter window)`,
      },
    ];
  }
  return [];
}

/** Real accounts with their stored events and contacts, shaped for the simulator (three queries, no N+1). */
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
  const contactRows = await db
    .select({ accountId: contacts.accountId, email: contacts.email, role: contacts.role })
    .from(contacts)
    .where(
      inArray(
        contacts.accountId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(asc(contacts.externalId));
  const contactsOf = new Map<string, { email: string; role: string }[]>();
  for (const c of contactRows) {
    const list = contactsOf.get(c.accountId) ?? [];
    list.push({ email: c.email, role: c.role });
    contactsOf.set(c.accountId, list);
  }
  return {
    unknown,
    accounts: rows.map((r) => ({
      contacts: contactsOf.get(r.id) ?? [],
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
  routing?: SimOptions["routing"],
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
  const result = simulate(journey, source, window, {
    engagement: { openRate: 0.45, clickRate: 0.12 },
    ...(routing ? { routing } : {}),
  });
  return {
    summary: result.summary,
    accounts: result.accounts.slice(0, MAX_ACCOUNT_DETAIL),
    accountsTruncated: result.accounts.length > MAX_ACCOUNT_DETAIL,
    unknownAccounts: unknown,
    population: Array.isArray(population) ? "accounts" : "synthetic",
    durationMs: Math.round(performance.now() - started),
  };
}
