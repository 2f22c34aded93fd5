import { Context } from "@temporalio/activity";
import { ApplicationFailure, type LogLevel as SdkLevel, type Logger as SdkLogger } from "@temporalio/common";
import { type ActivityInterceptorsFactory, Runtime } from "@temporalio/worker";
import type { LogFields, Logger, LogLevel } from "../logger";

/**
 * The Temporal SDK's logs (worker, workflow and activity lifecycle, and Temporal core's own lines,
 * forwarded) through Volante's logger, with the run's ids; its metrics on a Prometheus exporter
 * bound to `metricsAddress` (loopback), which /metrics appends. One Runtime per process.
 */
export function installTemporalRuntime(log: Logger, level: LogLevel, metricsAddress?: string): void {
  const sdkLevel = level === "debug" ? "DEBUG" : level === "info" ? "INFO" : "WARN";
  Runtime.install({
    logger: temporalLogger(log),
    // We own the shutdown order (HTTP, worker, connections, server); the SDK must not react to signals itself.
    shutdownSignals: [],
    telemetryOptions: {
      // Core's lines come to the logger above as records, not as coloured text on stderr.
      // Other crates (h2, hyper: frame by frame at debug) only when something is wrong.
      logging: { filter: { core: sdkLevel, other: "WARN" }, forward: {} },
      ...(metricsAddress ? { metrics: { prometheus: { bindAddress: metricsAddress } } } : {}),
    },
  });
}

const levels: Record<SdkLevel, LogLevel> = {
  TRACE: "debug",
  DEBUG: "debug",
  INFO: "info",
  WARN: "warn",
  ERROR: "error",
};

/**
 * The SDK's Logger on ours. An activity attempt that Temporal retries is one warn line (the error's
 * message and causes, no stack); the attempt that ends it (retries spent, or a non-retryable failure)
 * is one error line with the stack and cause. `maxAttempts` comes from `activityLogAttributes`.
 */
export function temporalLogger(log: Logger): SdkLogger {
  const write = (sdkLevel: SdkLevel, message: string, meta: Record<string | symbol, unknown> = {}) => {
    const { taskToken: _token, workflowRunId, sdkComponent, ...rest } = meta as LogFields;
    const fields: LogFields = {
      ...(sdkComponent ? { sdk: sdkComponent } : {}),
      ...rest,
      ...(workflowRunId ? { runId: workflowRunId } : {}),
    };
    if (message === "Activity failed" && fields.error instanceof Error && sdkLevel === "WARN") {
      const error = fields.error;
      const attempt = Number(fields.attempt ?? 1);
      const maxAttempts = Number(fields.maxAttempts ?? 0);
      const final =
        (error instanceof ApplicationFailure && error.nonRetryable) ||
        (maxAttempts > 0 && attempt >= maxAttempts);
      if (final) log.error("activity failed; no attempt left", fields);
      else log.warn("activity attempt failed; Temporal retries it", { ...fields, error: causes(error) });
      return;
    }
    // The bundler's webpack report (a screenful, at info) is for whoever debugs the bundle.
    const level = sdkLevel === "INFO" && message.includes("\n") ? "debug" : levels[sdkLevel];
    log[level](message, fields);
  };
  return {
    log: write,
    trace: (m, meta) => write("TRACE", m, meta),
    debug: (m, meta) => write("DEBUG", m, meta),
    info: (m, meta) => write("INFO", m, meta),
    warn: (m, meta) => write("WARN", m, meta),
    error: (m, meta) => write("ERROR", m, meta),
  };
}

/** An error's message and its causes' on one line. */
function causes(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(": caused by: ");
}

/** Adds the activity's retry budget to its log lines, so the logger tells a retried attempt from the last. */
export const activityLogAttributes: ActivityInterceptorsFactory = (ctx) => ({
  outbound: {
    getLogAttributes: (input, next) =>
      next({ ...input, maxAttempts: ctx.info.retryPolicy?.maximumAttempts ?? 0 }),
  },
});

/**
 * Core's own lines written during an activity (`webhook failed for good`, a notification that could
 * not be sent) carry the run's ids like the SDK's: read from the activity's context when there is one.
 */
export function withActivityIds(log: Logger): Logger {
  const ids = (): LogFields => {
    let info: ReturnType<typeof Context.current>["info"];
    try {
      info = Context.current().info;
    } catch {
      return {};
    }
    return {
      workflowId: info.workflowExecution?.workflowId,
      runId: info.workflowExecution?.runId,
      activityType: info.activityType,
      attempt: info.attempt,
    };
  };
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void =>
      log[level](message, { ...ids(), ...fields });
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (bindings) => withActivityIds(log.child(bindings)),
  };
}
