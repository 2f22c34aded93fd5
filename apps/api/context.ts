import type { OpenAPIHono } from "@hono/zod-openapi";
import type { BulkLimits } from "../core/enrollments/bulk-operations";
import type { Services } from "../core/shared/services";
import type { Role } from "../core/workspace/roles";
import type { Metrics } from "./metrics";
import type { RateLimits } from "./rate-limits";

/** Everything the API needs, passed in by whoever starts it (npm start, tests): the services and its metrics. */
export type AppDeps = Services & {
  metrics: Metrics;
  /** The Temporal SDK's Prometheus exporter (loopback), whose text /metrics appends; unset, none. */
  temporalMetricsUrl?: string;
  /** Extra facts shown by /healthz (e.g. which database driver). */
  info?: Record<string, string>;
  /** Request budgets (`VOLANTE_RATE_LIMIT_*`); one left out keeps its default. */
  rateLimits?: Partial<RateLimits>;
  /** When a bulk request or backfill answers 202 and runs in batches; tests lower them. */
  bulkLimits?: Partial<BulkLimits>;
  /** Proxies (CIDRs, `VOLANTE_TRUST_PROXY`) whose X-Forwarded-For names the client; none by default. */
  trustProxy?: string[];
};

export type AppEnv = {
  Variables: {
    requestId: string;
    deps: AppDeps;
    /** Set by the API key middleware on /v1 routes. */
    workspaceId: string;
    /** The API key's id, set with `workspaceId`: its request budget. */
    apiKeyId: string;
    /** The API key's role, set with `workspaceId`; what it may do is apps/api/access.ts. */
    role: Role;
    /** Who sent the request (see client-address.ts; "" in process), once a rate limit has asked. */
    clientAddress: string;
  };
};

export type App = OpenAPIHono<AppEnv>;
