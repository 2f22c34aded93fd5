// Every workflow the worker registers. Deterministic code only: no I/O, no Node built-ins.
import { bulkOperation } from "./bulk-operation";
import type { Workflows } from "./contracts";
import { escalationSla } from "./escalation-sla";
import { healthAlerts } from "./health-alerts";
import { healthRecompute } from "./health-recompute";
import { journeyRun } from "./journey-run";
import { renewalScan } from "./renewal-scan";
import { routeEvents } from "./route-events";

// Clients start these by type name (workflows/contracts.ts): each name there has its implementation
// here, with the same signature, and nothing is registered that the contracts do not name.
({
  bulkOperation,
  escalationSla,
  healthAlerts,
  healthRecompute,
  journeyRun,
  renewalScan,
  routeEvents,
}) satisfies Workflows;

export { bulkOperation, escalationSla, healthAlerts, healthRecompute, journeyRun, renewalScan, routeEvents };
