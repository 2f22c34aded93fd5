import { Client, Connection } from "@temporalio/client";
import { NativeConnection } from "@temporalio/worker";
import type { Env } from "../env";
import type { Logger } from "../logger";
import type { TemporalGate } from "../temporal/gate";
import { freePort } from "../temporal/ports";
import { installTemporalRuntime } from "../worker/telemetry";
import type { Stack } from "./stack";
import { type TemporalConnectionOptions, temporalConnectionOptions } from "./temporal-connection";

export type TemporalPart = {
  client: Client;
  connection: Connection;
  /** Whether Temporal answers: the API's 503s and the worker's restarts go by it (apps/temporal/gate.ts). */
  gate: TemporalGate;
  options: TemporalConnectionOptions;
  /** The SDK's Prometheus exporter on loopback, which /metrics appends. */
  temporalMetricsUrl: string;
};

/**
 * The process's Temporal runtime (logs through ours, metrics on loopback) and its client connection.
 * The gate is made by the caller: `npm start`'s dev-server supervisor marks it down too.
 */
export async function connectTemporal(
  env: Env,
  address: string,
  gate: TemporalGate,
  log: Logger,
  stack: Stack,
): Promise<TemporalPart> {
  const options = await temporalConnectionOptions(env, address);
  // We own the shutdown order (HTTP, worker, connections, server); the SDK must not react to signals itself.
  const temporalMetricsPort = await freePort("127.0.0.1");
  installTemporalRuntime(log, env.LOG_LEVEL, `127.0.0.1:${temporalMetricsPort}`);
  const connection = await Connection.connect({ ...options, interceptors: gate.interceptors });
  stack.push("temporal client", () => connection.close());
  const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
  return {
    client,
    connection,
    gate,
    options,
    temporalMetricsUrl: `http://127.0.0.1:${temporalMetricsPort}/metrics`,
  };
}

/** The worker's own connection (the Rust core's), with the client's options. */
export async function connectWorker(temporal: TemporalPart, stack: Stack): Promise<NativeConnection> {
  const nativeConnection = await NativeConnection.connect(temporal.options);
  stack.push("worker connection", () => nativeConnection.close());
  return nativeConnection;
}
