import { sql } from "drizzle-orm";
import type { BenchStack } from "../stack";

export type Figure = {
  scenario: string;
  name: string;
  value: number;
  unit: string;
  /** The reference in the same run (a ratio) or the goal it is held to. */
  limit?: number;
  /** value / limit, oriented so that ≥ 1 means "at or better than the limit" where stated. */
  ratio?: number;
  note?: string;
};

export type Mode = "quick" | "full";

/** What a scenario is given: the running stack, the mode, and a log line writer. */
export type Ctx = { stack: BenchStack; mode: Mode; log: (line: string) => void };

export const seconds = (ms: number) => ms / 1000;
/** PGlite answers { rows }, postgres.js an array. */
export const rowsOf = <T>(result: unknown): T[] => (result as { rows?: T[] }).rows ?? (result as T[]);
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Issue 19: Volante at 0.8× the raw engine's rate in the same run (ingestion, journeys) at least. */
export const RAW_ENGINE_GOAL = 0.8;

/** The references the issue names: Gainsight's 500k journey participants a day per tenant… */
export const GAINSIGHT_PER_SECOND = round(500_000 / 86_400, 2);
/** …and Customer.io's "about one million emails an hour". */
export const CUSTOMER_IO_PER_SECOND = round(1_000_000 / 3_600, 0);

export async function pool<T>(items: T[], concurrency: number, work: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i] as T, i);
      }
    }),
  );
}

/** `n` accounts named `<prefix>1…n`, each with an admin contact, in two statements. */
export async function seedAccounts(stack: BenchStack, prefix: string, n: number, licenses = 20) {
  await stack.database.db.execute(sql`
    insert into accounts (workspace_id, external_id, name, tier, licenses, lifecycle_stage)
    select ${stack.workspaceId}, ${prefix} || g, 'Account ' || g, 'tech_touch', ${licenses}, 'adoption'
    from generate_series(1, ${n}) g
  `);
  await stack.database.db.execute(sql`
    insert into contacts (workspace_id, account_id, external_id, email, name, role)
    select a.workspace_id, a.id, 'admin', 'admin@' || a.external_id || '.example', 'Admin', 'admin'
    from accounts a where a.workspace_id = ${stack.workspaceId} and a.external_id like ${`${prefix}%`}
  `);
}
