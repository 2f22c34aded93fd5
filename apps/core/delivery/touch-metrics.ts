import type { CoreMetrics } from "../shared/metrics";
import type { TouchOutcome } from "./touch-record";

/**
 * Counts a touch carried out, by channel, outcome and reason, and each recipient's decision. The reason
 * is kept to the arbiter's and the hold's fixed words: a failure's text goes to the trace, not to a label.
 */
export function countTouch(metrics: CoreMetrics, channel: string, outcome: TouchOutcome): void {
  const decisions = outcome.decisions ?? [];
  const reason =
    outcome.status === "held"
      ? (outcome.reason ?? "")
      : outcome.status === "deferred"
        ? (decisions.find((d) => d.decision === "quiet_hours")?.decision ?? "waiting_for_recipients")
        : outcome.status === "skipped"
          ? (decisions[0]?.decision ?? "no_recipient")
          : "";
  metrics.touches.inc({ channel, status: outcome.status, reason });
  for (const d of decisions) metrics.decisions.inc({ channel, decision: d.decision });
}
