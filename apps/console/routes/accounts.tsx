import { Hono } from "hono";
import type { AppDeps } from "../../api/context";
import type { ConsoleEnv } from "../context";

/** The accounts pages, mounted by router.tsx behind the console's session and security headers. */
export function accountsRoutes(_deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();
  return app;
}
