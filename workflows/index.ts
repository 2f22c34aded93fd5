// Every workflow the worker registers. Deterministic code only: no I/O, no Node built-ins.
export { benchBaseline } from "./bench-baseline";
export { escalationSla } from "./escalation-sla";
export { healthAlerts } from "./health-alerts";
export { healthRecompute } from "./health-recompute";
export { journeyRun } from "./journey-run";
export { renewalScan } from "./renewal-scan";
export { routeEvents } from "./route-events";
