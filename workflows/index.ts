// Every workflow the worker registers. Deterministic code only: no I/O, no Node built-ins.
export { routeEvents } from "./route-events";
