import { Hono } from "hono";
import type { AppDeps } from "../../api/context";
import type { ConsoleEnv } from "../context";
import { page } from "../page";
import { Home } from "../pages/home";

/** The signed-in landing page at /app. */
export function homeRoutes(_deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();
  app.get("/app", (c) => {
    const user = c.var.user;
    if (!user) return c.redirect("/app/sign-in", 302);
    const notice =
      c.req.query("signed-out-everywhere") !== undefined ? c.var.t("signedOutEverywhere") : undefined;
    return page(c, c.var.t("home.title"), <Home t={c.var.t} user={user} {...(notice ? { notice } : {})} />);
  });
  return app;
}
