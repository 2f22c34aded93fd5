import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Services } from "../core/shared/services";
import type { Metrics } from "./metrics";

/** Everything the API needs, passed in by whoever starts it (npm start, tests): the services and its metrics. */
export type AppDeps = Services & {
  metrics: Metrics;
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
