import { Hono } from "hono";
import type { AppDeps } from "../../api/context";
import { findAccountRow } from "../../core/accounts/accounts";
import { getEnrollmentWithTrace } from "../../core/enrollments/queries";
import { inboxReader } from "../../core/escalations/inbox";
import type { ConsoleEnv } from "../context";
import { page, requireRole, signedIn } from "../page";
import { TracePage } from "../pages/trace";

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
    const reader = await inboxReader(deps.db, user.workspaceId, user.email);
    return page(
      c,
      `${t("trace.title")}: ${account?.name ?? found.enrollment.account} · ${found.enrollment.journey}`,
      <TracePage
        t={t}
        reading={{ locale: c.var.locale, timeZone: reader.timeZone, now: deps.clock.now() }}
        enrollment={found.enrollment}
        accountName={account?.name ?? found.enrollment.account}
        trace={found.trace}
      />,
    );
  });
  return app;
}
