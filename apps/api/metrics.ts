import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { openEscalationCounts } from "../core/escalations/queries";
import { createCoreMetrics } from "../core/shared/metrics";
import type { Services } from "../core/shared/services";

/**
 * The process's Prometheus metrics, on a registry of their own (no global state): the API's, and
 * the use cases' (core/shared/metrics.ts) that the worker's activities share in `npm start`.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "volante_" });
  return {
    registry,
    ...createCoreMetrics(registry),
    httpRequests: new Counter({
      name: "volante_http_requests_total",
      help: "HTTP requests by method, route and status",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "volante_http_request_duration_seconds",
      help: "HTTP request duration by method and route",
      labelNames: ["method", "route"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    eventsIngested: new Counter({
      name: "volante_events_ingested_total",
      help: "Events received by POST /v1/events, by verdict",
      labelNames: ["status"] as const,
      registers: [registry],
    }),
    escalationsOpen: new Gauge({
      name: "volante_escalations_open",
      help: "Escalations not yet resolved, by account tier and whether their SLA is breached (read from the database at scrape time)",
      labelNames: ["tier", "breached"] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * The /metrics text: the registry, with the open-escalations gauge read from the database now, then
 * the Temporal SDK's own metrics (worker slots, task latencies, workflow task failures) fetched
 * from its exporter on loopback (`temporalMetricsUrl`, set by `npm start`) when there is one.
 */
export async function renderMetrics(
  deps: Pick<Services, "db" | "log"> & { metrics: Metrics; temporalMetricsUrl?: string | undefined },
): Promise<string> {
  const { metrics } = deps;
  metrics.escalationsOpen.reset();
  for (const { tier, breached, count } of await openEscalationCounts(deps.db))
    metrics.escalationsOpen.set({ tier, breached: String(breached) }, count);
  const ours = await metrics.registry.metrics();
  if (!deps.temporalMetricsUrl) return ours;
  try {
    const res = await fetch(deps.temporalMetricsUrl, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) throw new Error(`answered ${res.status}`);
    return `${ours}\n${await res.text()}`;
  } catch (err) {
    deps.log.warn("the Temporal SDK's metrics could not be read; serving Volante's alone", { error: err });
    return ours;
  }
}
