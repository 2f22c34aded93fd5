import { InterceptingCall, type Interceptor, Metadata, RequesterBuilder, status } from "@grpc/grpc-js";
import { type Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from "@temporalio/client";

/** How often the gate asks Temporal whether it is there. */
export const probeIntervalMs = 1_000;
/** A probe not answered within this is a Temporal that is away. */
const probeTimeoutMs = 1_500;
const probeHeader = "x-volante-probe";

export type TemporalGate = {
  /** Whether Temporal answered the last probe. */
  readonly up: boolean;
  /** The client connection's gRPC interceptors: fails fast while Temporal is away, retries while it is up. */
  interceptors: Interceptor[];
  /** Temporal is known to be gone (the supervised server exited): fail fast until a probe answers. */
  markDown(reason: string): void;
  /**
   * Probes `connection` every second; `onUp` (which must not throw) runs each time Temporal comes back.
   * Returns the stop.
   */
  watch(connection: Connection, onUp: () => Promise<void>): () => Promise<void>;
};

/**
 * Whether Temporal is reachable, known without waiting on it: while it is away, every client call fails
 * at once with UNAVAILABLE (the API answers 503) instead of retrying for half a minute, and calls in
 * flight are not retried either. A periodic probe (and the dev-server supervisor) feed it.
 */
export function createTemporalGate(log: (message: string) => void): TemporalGate {
  let up = true;
  let downSince = 0;
  const setUp = (next: boolean, reason: string) => {
    if (next === up) return;
    up = next;
    if (next) log(`Temporal is reachable again after ${Math.round((Date.now() - downSince) / 1000)} s`);
    else {
      downSince = Date.now();
      log(`Temporal is unreachable (${reason}); calls that need it answer 503 until it is back`);
    }
  };
  const retryOptions = defaultGrpcRetryOptions();
  const retry = makeGrpcRetryInterceptor({
    ...retryOptions,
    retryableDecider: (attempt, s) => up && retryOptions.retryableDecider(attempt, s),
  });
  const failFast: Interceptor = (options, nextCall) =>
    new InterceptingCall(
      nextCall(options),
      new RequesterBuilder()
        .withStart((metadata, listener, next) => {
          const probing = metadata.get(probeHeader).length > 0;
          metadata.remove(probeHeader);
          if (up || probing) return next(metadata, listener);
          listener.onReceiveStatus({
            code: status.UNAVAILABLE,
            details: "Temporal is unreachable (the gate is closed until a probe answers)",
            metadata: new Metadata(),
          });
        })
        .build(),
    );
  return {
    get up() {
      return up;
    },
    // Fail-fast outermost: a refused call never enters the retry interceptor, which assumes a response.
    interceptors: [failFast, retry],
    markDown: (reason) => setUp(false, reason),
    watch(connection, onUp) {
      let stopped = false;
      let catchingUp: Promise<void> = Promise.resolve();
      const probe = async () => {
        try {
          await connection.withMetadata({ [probeHeader]: "1" }, () =>
            connection.withDeadline(Date.now() + probeTimeoutMs, () =>
              connection.workflowService.getSystemInfo({}),
            ),
          );
          if (!up && !stopped) {
            setUp(true, "");
            catchingUp = onUp();
          }
        } catch (err) {
          setUp(false, (err as Error).message);
        }
      };
      // One probe at a time: a slow one is not queued behind.
      let probing: Promise<void> | undefined;
      const timer = setInterval(() => {
        probing ??= probe().finally(() => {
          probing = undefined;
        });
      }, probeIntervalMs);
      timer.unref();
      return async () => {
        stopped = true;
        clearInterval(timer);
        await probing;
        await catchingUp;
      };
    },
  };
}
