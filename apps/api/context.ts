import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Client } from "@temporalio/client";
import type { Transporter } from "nodemailer";
import type { Db } from "../../db/client";
import type { FileTemplate } from "../core/templates/files";
import type { Logger } from "../logger";
import type { Metrics } from "./metrics";

/** Everything the API needs, passed in by whoever starts it (npm start, tests). */
export type AppDeps = {
  db: Db;
  temporal: { client: Client; taskQueue: string; namespace: string };
  metrics: Metrics;
  log: Logger;
  /** The file templates under templates/messages: every workspace's defaults. */
  fileTemplates: FileTemplate[];
  /** Where the dev email transport writes `.eml` files (used when SMTP_URL is unset). */
  outboxDir: string;
  /** SMTP (from `SMTP_URL`) for the mail the API itself sends (CSM notifications); else the outbox. */
  transport?: Transporter | undefined;
  /** Public base URL of the API, for the links in that mail. */
  publicUrl: string;
  /** The clock; tests pass a fixed one. */
  now: () => Date;
  /** Extra facts shown by /healthz (e.g. which database driver). */
  info?: Record<string, string>;
};

export type AppEnv = {
  Variables: {
    requestId: string;
    deps: AppDeps;
    /** Set by the API key middleware on /v1 routes. */
    workspaceId: string;
  };
};

export type App = OpenAPIHono<AppEnv>;
