import { Counter, Histogram, type Registry } from "prom-client";

/**
 * What the use cases count and time (touches, SMTP, webhooks, escalations, routing, health), on the
 * registry the API serves at /metrics. `npm start` runs the worker's activities in the API's process,
 * so one registry holds both; a `volante worker` process has its own. Label values come from small
 * fixed sets (channel, status, arbiter decision, tier), never ids or addresses.
 */
export function createCoreMetrics(registry: Registry) {
  const registers = [registry];
  return {
    touches: new Counter({
      name: "volante_touches_total",
      help: "Journey touches carried out, by channel and outcome (sent, held, deferred, skipped, failed); reason: why held, deferred or skipped",
      labelNames: ["channel", "status", "reason"] as const,
      registers,
    }),
    decisions: new Counter({
      name: "volante_delivery_decisions_total",
      help: "The arbiter's decision for each recipient of a touch (send, paused, already_sent, unsubscribed, quiet_hours, frequency_cap)",
      labelNames: ["channel", "decision"] as const,
      registers,
    }),
    smtpSend: new Histogram({
      name: "volante_smtp_send_duration_seconds",
      help: "Time to hand one message to the SMTP server, by result (sent, refused: a 5xx answer, error: transient)",
      labelNames: ["result"] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    smtpFailures: new Counter({
      name: "volante_smtp_failures_total",
      help: "SMTP sends that failed: refused (5xx, recorded, not retried) or error (transient, retried)",
      labelNames: ["kind"] as const,
      registers,
    }),
    webhooks: new Counter({
      name: "volante_webhooks_total",
      help: "Outgoing webhook posts by result: delivered, retrying (transient failure, the activity retries), failed (recorded for good)",
      labelNames: ["result"] as const,
      registers,
    }),
    escalationsOpened: new Counter({
      name: "volante_escalations_opened_total",
      help: "Escalations opened, by account tier and priority",
      labelNames: ["tier", "priority"] as const,
      registers,
    }),
    escalationsBreached: new Counter({
      name: "volante_escalations_breached_total",
      help: "Escalations still open at their SLA deadline, by priority before it was raised",
      labelNames: ["priority"] as const,
      registers,
    }),
    eventRoutingLag: new Histogram({
      name: "volante_event_routing_lag_seconds",
      help: "From an event's receipt to its routing (facts folded, runs signalled, journeys triggered)",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    healthRecompute: new Histogram({
      name: "volante_health_recompute_duration_seconds",
      help: "One workspace's health recompute, scoring every account",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
  };
}

export type CoreMetrics = ReturnType<typeof createCoreMetrics>;
