import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import type { Database } from "../../db/client";
import type { AppDeps } from "../api/context";
import type { Metrics } from "../api/metrics";
import type { Services } from "../core/shared/services";
import type { Env } from "../env";
import type { Stack } from "./stack";
import type { TemporalPart } from "./temporal-part";

export type HttpServer = ReturnType<typeof serve>;

/** The API's dependencies: the services plus what only HTTP uses (metrics, limits, proxies). */
export function apiDeps(
  env: Env,
  services: Services & { metrics: Metrics },
  parts: { database: Database; temporal: TemporalPart },
): AppDeps {
  return {
    ...services,
    temporalMetricsUrl: parts.temporal.temporalMetricsUrl,
    info: { database: parts.database.driver },
    rateLimits: env.rateLimits,
    trustProxy: env.VOLANTE_TRUST_PROXY,
  };
}

/**
 * Listens with `fetch` on host:port (all interfaces when no host); the stack closes it, draining first.
 * Idle keep-alive connections stay open `keepAliveSeconds` (Node's own 5 s is shorter than a load
 * balancer's idle timeout: the balancer then reuses a socket the server is closing, and answers 502).
 */
export async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  address: { port: number; hostname?: string },
  stack: Stack,
  keepAliveSeconds: number,
): Promise<HttpServer> {
  const server = await new Promise<HttpServer>((resolve, reject) => {
    const s = serve({ fetch, ...address }, () => resolve(s));
    s.once("error", reject);
  });
  const http = server as Server;
  http.keepAliveTimeout = keepAliveSeconds * 1000;
  // Headers of a request on a kept connection must be allowed as long as the connection is kept.
  http.headersTimeout = keepAliveSeconds * 1000 + 1000;
  stack.push("http server", () => closeHttp(server));
  return server;
}

/** How long requests in flight get to finish at stop before their connections are closed. */
const httpDrainMs = 3_000;

/** Stops accepting, lets requests in flight finish for up to `httpDrainMs`, then closes what is left. */
async function closeHttp(server: HttpServer): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const timer = setTimeout(() => (server as Server).closeAllConnections(), httpDrainMs);
  await closed;
  clearTimeout(timer);
}
