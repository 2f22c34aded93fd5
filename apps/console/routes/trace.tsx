import { Hono } from "hono";
import type { AppDeps } from "../../api/context";
import type { ConsoleEnv } from "../context";

/** One enrollment's trace at /app/enrollments/:id, mounted by router.tsx. */
export function traceRoutes(_deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();
  return app;
}
