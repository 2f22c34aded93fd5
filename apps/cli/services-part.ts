import { join } from "node:path";
import type { Client } from "@temporalio/client";
import type { Database } from "../../db/client";
import { createMetrics, type Metrics } from "../api/metrics";
import { createSmtpTransport } from "../core/delivery/mailer";
import { loadRenderer } from "../core/delivery/render";
import { type Services, systemClock } from "../core/shared/services";
import { loadFileTemplates } from "../core/templates/files";
import type { Env } from "../env";
import type { Logger } from "../logger";
import type { Stack } from "./stack";

/**
 * The one services object every role builds the same way: the API's routes, the worker's
 * activities and the startup work all use it. The SMTP pool and the render threads are pushed
 * before the worker is, so they close after its last send.
 */
export async function buildServices(
  env: Env,
  parts: { database: Database; client: Client },
  log: Logger,
  stack: Stack,
): Promise<Services & { metrics: Metrics }> {
  const transport = env.SMTP_URL
    ? createSmtpTransport(env.SMTP_URL, {
        maxConnections: env.SMTP_POOL_SIZE,
        maxMessages: env.SMTP_MAX_MESSAGES,
      })
    : undefined;
  if (transport) stack.push("smtp", async () => transport.close());
  const renderer = await loadRenderer();
  stack.push("renderer", () => renderer.close());
  return {
    db: parts.database.db,
    client: parts.client,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    namespace: env.TEMPORAL_NAMESPACE,
    transport,
    outboxDir: outboxDir(env),
    fileTemplates: await loadFileTemplates(),
    publicUrl: publicUrl(env),
    clock: systemClock,
    outbound: { allow: env.VOLANTE_OUTBOUND_ALLOW },
    renderer,
    log,
    metrics: createMetrics(),
  };
}

/** Links in emails and the console's origin: VOLANTE_PUBLIC_URL, else this process's own port. */
export function publicUrl(env: Env): string {
  return env.VOLANTE_PUBLIC_URL ?? `http://localhost:${env.PORT}`;
}

export function outboxDir(env: Env): string {
  return join(env.home, "outbox");
}
