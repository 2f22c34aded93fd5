import { proxyActivities, sleep } from "@temporalio/workflow";
import type { EscalationActivities } from "./activities";

const { checkEscalationSla } = proxyActivities<EscalationActivities>({
  startToCloseTimeout: "1 minute",
  retry: { initialInterval: "1 second", maximumInterval: "1 minute" },
});

export type EscalationSlaInput = {
  workspaceId: string;
  escalationId: string;
  createdAt: string;
  dueAt: string;
};

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

export function escalationSlaWorkflowId(escalationId: string): string {
  return `escalation-sla:${escalationId}`;
}
