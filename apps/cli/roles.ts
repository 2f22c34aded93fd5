import type { AddressInfo } from "node:net";
import type { Database } from "../../db/client";
import { migrate } from "../../db/migrate";
import { createApp } from "../api/app";
import type { Metrics } from "../api/metrics";
import type { Services } from "../core/shared/services";
import type { Env } from "../env";
import type { Logger } from "../logger";
import { createTemporalGate } from "../temporal/gate";
import { migrateAndBootstrap, openProcessDatabase } from "./database-part";
import { apiDeps, listen } from "./http-part";
import { buildServices } from "./services-part";
import { requireSharedSetup } from "./shared-setup";
import { createStack, type Stack } from "./stack";
import { doStartupWork } from "./startup-work";
import { connectTemporal, type TemporalPart } from "./temporal-part";
import { startWorkerPart, workerProbe } from "./worker-part";

/** A started process: `stop()` stops every part it started, in reverse order. */
export type Running = { stop(): Promise<void>; url: string };

type Common = {
  database: Database;
  temporal: TemporalPart;
  services: Services & { metrics: Metrics };
  /** What the bootstrap says about the API key (the API role only). */
  keyNote: string[];
};

/**
 * `volante api`: the HTTP API and its startup work (migrations and the workspace bootstrap under the
 * startup lock, health Schedules, the catch-up), with a Temporal client but no worker.
 */
export async function startApi(env: Env, log: Logger, print: (line: string) => void, terminal = false) {
  requireSharedSetup(env, "api");
  return startRole(log, async (stack) => {
    const common = await openCommon(env, log, stack, { bootstrap: true, terminal });
    const deps = apiDeps(env, common.services, common);
    await doStartupWork(deps, common.temporal, stack);
    const server = await listen(
      createApp(deps).fetch,
      { port: env.PORT },
      stack,
      env.VOLANTE_HTTP_KEEP_ALIVE_SECONDS,
    );
    const port = (server.address() as AddressInfo).port;
    print(`Volante API is listening on port ${port} (public URL ${deps.publicUrl})`);
    for (const line of common.keyNote) print(line);
    return `http://127.0.0.1:${port}`;
  });
}

/**
 * `volante worker`: the Temporal worker alone (its slots from TEMPORAL_MAX_CONCURRENT_*), and a
 * small HTTP probe (/healthz, /metrics) on VOLANTE_WORKER_HOST:VOLANTE_WORKER_PORT for a process manager.
 */
export async function startWorker(env: Env, log: Logger, print: (line: string) => void) {
  requireSharedSetup(env, "worker");
  return startRole(log, async (stack) => {
    const common = await openCommon(env, log, stack, { bootstrap: false, terminal: false });
    const worker = await startWorkerPart(env, common.services, common.temporal, stack);
    // The gate learns when Temporal is back (the worker is remade then); catching up is the API's work.
    stack.push(
      "temporal probe",
      common.temporal.gate.watch(common.temporal.connection, async () => {}),
    );
    const probe = workerProbe(common.services, common.temporal, worker);
    const server = await listen(
      probe.fetch,
      { port: env.VOLANTE_WORKER_PORT, hostname: env.VOLANTE_WORKER_HOST },
      stack,
      env.VOLANTE_HTTP_KEEP_ALIVE_SECONDS,
    );
    const port = (server.address() as AddressInfo).port;
    print(
      `Volante worker is polling task queue ${env.TEMPORAL_TASK_QUEUE} (namespace ${env.TEMPORAL_NAMESPACE}); probe on ${env.VOLANTE_WORKER_HOST}:${port}`,
    );
    return `http://${env.VOLANTE_WORKER_HOST}:${port}`;
  });
}

async function startRole(log: Logger, body: (stack: Stack) => Promise<string>): Promise<Running> {
  const stack = createStack(log);
  try {
    return { stop: () => stack.stop(), url: await body(stack) };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

/** The parts both roles open the same way: the migrated database, Temporal, the services. */
async function openCommon(
  env: Env,
  log: Logger,
  stack: Stack,
  options: { bootstrap: boolean; terminal: boolean },
): Promise<Common> {
  const database = await openProcessDatabase(env, stack);
  let keyNote: string[] = [];
  // The worker needs no workspace; it migrates (under the same lock) so its activities find the tables.
  if (options.bootstrap) keyNote = await migrateAndBootstrap(env, database, options.terminal);
  else await migrate(database);
  const gate = createTemporalGate((m) => log.warn(m));
  // requireSharedSetup made sure of the address.
  const temporal = await connectTemporal(env, env.TEMPORAL_ADDRESS ?? "", gate, log, stack);
  const services = await buildServices(env, { database, client: temporal.client }, log, stack);
  return { database, temporal, services, keyNote };
}
