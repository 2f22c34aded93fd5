import { patched, proxyActivities, proxyLocalActivities, sleep } from "@temporalio/workflow";
import type { EscalationActivities, EscalationSlaInput } from "./contracts";

const retry = { initialInterval: "1 second", maximumInterval: "1 minute" };
/**
 * The checks are local activities: each costs a marker in the task that the timer woke, not an
 * activity task and a workflow task more. Runs started before that replay with task-queue activities.
 */
const local = proxyLocalActivities<EscalationActivities>({
  startToCloseTimeout: "1 minute",
  localRetryThreshold: "10 seconds",
  retry,
});
const queued = proxyActivities<EscalationActivities>({ startToCloseTimeout: "1 minute", retry });
const checkEscalationSla: EscalationActivities["checkEscalationSla"] = (input) =>
  (patched("sla-local-checks") ? local : queued).checkEscalationSla(input);

/** The SLA of one escalation: a reminder at 75% of the time, then re-escalation if still unresolved. */
export async function escalationSla(input: EscalationSlaInput): Promise<"resolved" | "breached"> {
  const created = Date.parse(input.createdAt);
  const due = Date.parse(input.dueAt);
  const reminder = created + (due - created) * 0.75;
  await sleep(Math.max(0, reminder - Date.now()));
  const first = await checkEscalationSla({
    ...input,
    stage: "reminder",
    at: new Date(Date.now()).toISOString(),
  });
  if (first === "resolved") return "resolved";
  await sleep(Math.max(0, due - Date.now()));
  const second = await checkEscalationSla({
    ...input,
    stage: "breach",
    at: new Date(Date.now()).toISOString(),
  });
  return second === "resolved" ? "resolved" : "breached";
}
