import type { Client } from "@temporalio/client";
import { sql } from "drizzle-orm";
import type { Db } from "../../../db/client";

export type Check = { ok: boolean; latencyMs: number; error?: string };

async function timed(check: () => Promise<unknown>, timeoutMs: number): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** Can this process reach its database and Temporal? Each check answers within two seconds. */
export async function checkReadiness(deps: { db: Db; client: Client; namespace: string }) {
  const [database, temporal] = await Promise.all([
    timed(() => deps.db.execute(sql`select 1`), 2000),
    timed(() => deps.client.workflowService.describeNamespace({ namespace: deps.namespace }), 2000),
  ]);
  return {
    status: database.ok && temporal.ok ? ("ok" as const) : ("degraded" as const),
    checks: { database, temporal },
  };
}
