import { apiLatency } from "./api";
import { channels } from "./channels";
import { consoleAccounts } from "./console-accounts";
import { health } from "./health";
import { ingestion } from "./ingestion";
import { journeys } from "./journeys";
import { escalationLatency } from "./latency";
import { memory } from "./memory";
import { simulator } from "./simulator";

export type { Figure, Mode } from "./shared";

// The scenarios that need no Temporal first: after the journeys the same simulator run took twice as
// long (decision 0017). The Temporal scenarios start on a fresh dev server; memory stays last all the
// same, as its 10,000 sleeping runs are left behind.
export const scenarios = {
  ingestion,
  health,
  simulator,
  channels,
  api: apiLatency,
  "console-accounts": consoleAccounts,
  latency: escalationLatency,
  journeys,
  memory,
};
export type ScenarioName = keyof typeof scenarios;
