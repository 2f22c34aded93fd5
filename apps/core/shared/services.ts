import type { Client } from "@temporalio/client";
import type { Transporter } from "nodemailer";
import type { Db } from "../../../db/client";
import type { Logger } from "../../logger";
import type { Renderer } from "../delivery/render";
import type { FileTemplate } from "../templates/files";
import type { CoreMetrics } from "./metrics";
import type { OutboundPolicy } from "./outbound";

/** Where core reads the time: the system's in production, a fixed one in tests. */
export type Clock = { now(): Date };

export const systemClock: Clock = { now: () => new Date() };

/**
 * Everything a use case may need, built once at start (`npm start`, the test harness, the bench) and
 * passed in: no module-level singletons, no I/O at import. A use case declares the part it uses
 * (`Pick<Services, "db" | "clock">`), so a caller or a test builds only that.
 */
export type Services = {
  db: Db;
  /** Temporal: the client that starts and signals runs, and the task queue its workers poll. */
  client: Client;
  taskQueue: string;
  namespace: string;
  /** SMTP (from `SMTP_URL`); without it email goes to the dev outbox. */
  transport?: Transporter | undefined;
  /** Where the dev outbox writes `.eml` files (used when `SMTP_URL` is unset). */
  outboxDir: string;
  /** The file templates under templates/messages (with their partials): every workspace's defaults. */
  fileTemplates: FileTemplate[];
  /** Renders messages with the shipped partials (`loadRenderer` at start). */
  renderer: Renderer;
  /** Public base URL: API, unsubscribe, tracking and widget links. */
  publicUrl: string;
  clock: Clock;
  log: Logger;
  /** Which internal addresses user-directed HTTP requests may reach (`VOLANTE_OUTBOUND_ALLOW`). */
  outbound: OutboundPolicy;
  /** Counters and timings for /metrics; absent (a tool or a test building services by hand), nothing is counted. */
  metrics?: CoreMetrics;
};
