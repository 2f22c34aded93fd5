import { Hono } from "hono";
import type { AppDeps } from "../../api/context";
import { findAccountRow } from "../../core/accounts/accounts";
import { findEnrollmentTouch } from "../../core/delivery/touch-message";
import { getEnrollmentWithTrace } from "../../core/enrollments/queries";
import type { ConsoleEnv } from "../context";
import { page, requireRole, signedIn } from "../page";
import { TouchMessagePage, TracePage } from "../pages/trace";

/** The sent message in its frame: no script, no requests but images, only inside the console. */
const FRAME_POLICY =
  "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; frame-ancestors 'self'";

/** One enrollment's trace at /app/enrollments/:id (any role reads it), from the core behind GET /v1/enrollments/{id}/trace. */
export function traceRoutes(deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();
  app.use("/app/enrollments/*", requireRole("viewer"));

  app.get("/app/enrollments/:id", async (c) => {
    const user = signedIn(c);
    const t = c.var.t;
    const found = await getEnrollmentWithTrace(deps.db, user.workspaceId, c.req.param("id"));
    if (!found)
      return page(
        c,
        t("trace.title"),
        <p class="error" role="alert">
          {t("trace.notFound")}
        </p>,
        404,
      );
    const account = await findAccountRow(deps.db, user.workspaceId, found.enrollment.account);
    return page(
      c,
      `${t("trace.title")}: ${account?.name ?? found.enrollment.account} · ${found.enrollment.journey}`,
      <TracePage
        t={t}
        reading={{ locale: c.var.locale, timeZone: user.timeZone, now: deps.clock.now() }}
        enrollment={found.enrollment}
        accountName={account?.name ?? found.enrollment.account}
        trace={found.trace}
      />,
    );
  });

  // One touch of the trace (by its key, or its id): what was sent, to whom, and why or why not.
  app.get("/app/enrollments/:id/touches/:key", async (c) => {
    const user = signedIn(c);
    const t = c.var.t;
    const touch = await findEnrollmentTouch(deps, user.workspaceId, c.req.param("id"), c.req.param("key"));
    if (!touch)
      return page(
        c,
        t("trace.message.title"),
        <p class="error" role="alert">
          {t("trace.message.notFound")}
        </p>,
        404,
      );
    return page(
      c,
      `${t("trace.message.title")}: ${touch.subject ?? touch.template}`,
      <TouchMessagePage
        t={t}
        reading={{ locale: c.var.locale, timeZone: user.timeZone, now: deps.clock.now() }}
        enrollmentId={c.req.param("id")}
        touch={touch}
      />,
    );
  });

  // The frame: the sent HTML under its own policy (the templates preview's), never the console's.
  app.get("/app/enrollments/:id/touches/:key/frame", async (c) => {
    const user = signedIn(c);
    const touch = await findEnrollmentTouch(deps, user.workspaceId, c.req.param("id"), c.req.param("key"));
    const m = touch?.message;
    const html = m?.kind === "email" || m?.kind === "rendered_again" ? m.html : null;
    if (html === null) return c.text(c.var.t("trace.message.notFound"), 404);
    return c.html(html, 200, { "Content-Security-Policy": FRAME_POLICY, "X-Frame-Options": "SAMEORIGIN" });
  });
  return app;
}
