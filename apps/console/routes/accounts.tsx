import { type Context, Hono } from "hono";
import type { AppDeps } from "../../api/context";
import { AccountFilters, accountOwners, listAccountPage } from "../../core/accounts/account-list";
import { accountPage } from "../../core/accounts/account-page";
import { LifecycleStage } from "../../core/accounts/accounts";
import { patchAccount } from "../../core/accounts/save-account";
import { accountTimeline, TimelineQuery } from "../../core/accounts/timeline";
import { accountHealthHistory } from "../../core/health/queries";
import { getScorecard } from "../../core/health/scorecard-store";
import { ExternalId } from "../../core/shared/validators";
import { roleAtLeast } from "../../core/workspace/roles";
import type { ConsoleEnv } from "../context";
import { LanguageReturn } from "../layout";
import { isHtmx, page, requireRole, signedIn } from "../page";
import { AccountPage } from "../pages/account";
import { AccountTimeline } from "../pages/account-timeline";
import { AccountResults, AccountsPage, filtersQuery } from "../pages/accounts";

/** Timeline entries a page of the account page shows. */
const TIMELINE_PAGE = 20;

/**
 * The accounts list (/app/accounts, any role) and one account's page (/app/accounts/:id); CSMs and up
 * may change the stage from it. Mounted by router.tsx behind the console's session and security headers.
 */
export function accountsRoutes(deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();
  app.use("/app/accounts", requireRole("viewer"));
  app.use("/app/accounts/*", requireRole("viewer"));

  app.get("/app/accounts", async (c) => {
    const { workspaceId } = signedIn(c);
    const filters = AccountFilters.parse(c.req.query());
    const today = deps.clock.now().toISOString().slice(0, 10);
    const [list, owners] = await Promise.all([
      listAccountPage(deps.db, workspaceId, filters, today),
      accountOwners(deps.db, workspaceId),
    ]);
    const props = { t: c.var.t, locale: c.var.locale, filters, owners, list };
    if (isHtmx(c))
      return c.html(
        <>
          <AccountResults {...props} />
          <LanguageReturn here={`/app/accounts${filtersQuery(filters, list.page)}`} swap />
        </>,
      );
    return page(c, c.var.t("accounts.title"), <AccountsPage {...props} />);
  });

  app.get("/app/accounts/:id", async (c) => {
    const cursor = TimelineQuery.shape.cursor.safeParse(c.req.query("timeline"));
    return accountView(c, deps, cursor.success ? cursor.data : undefined);
  });

  // The timeline's older entries: a fragment for htmx, else the account page starting there.
  app.get("/app/accounts/:id/timeline", async (c) => {
    const { workspaceId } = signedIn(c);
    const t = c.var.t;
    const query = TimelineQuery.safeParse({
      cursor: c.req.query("cursor") || undefined,
      limit: TIMELINE_PAGE,
    });
    if (!query.success) return c.text(t("account.badCursor"), 400);
    if (!isHtmx(c)) return accountView(c, deps, query.data.cursor);
    const id = c.req.param("id");
    if (!ExternalId.safeParse(id).success) return c.text(t("account.notFoundBody"), 404);
    const timeline = await accountTimeline(deps.db, workspaceId, id, query.data);
    if (!timeline) return c.text(t("account.notFoundBody"), 404);
    return c.html(
      <AccountTimeline
        t={t}
        locale={c.var.locale}
        timeZone={signedIn(c).timeZone}
        path={accountPath(id)}
        page={timeline}
      />,
    );
  });

  app.post("/app/accounts/:id/stage", requireRole("csm"), async (c) => {
    const { workspaceId } = signedIn(c);
    const id = c.req.param("id");
    if (!ExternalId.safeParse(id).success) return notFound(c);
    const form = await c.req.parseBody();
    const stage = LifecycleStage.safeParse(form.stage);
    if (!stage.success) return c.text(c.var.t("account.badStage"), 422);
    const changed = await patchAccount(
      deps,
      workspaceId,
      id,
      { lifecycleStage: stage.data },
      deps.clock.now(),
    );
    if (!changed.ok) return notFound(c);
    return c.redirect(`${accountPath(id)}?stage-changed`, 303);
  });

  return app;
}

const accountPath = (externalId: string) => `/app/accounts/${encodeURIComponent(externalId)}`;

function notFound(c: Context<ConsoleEnv>) {
  const t = c.var.t;
  return page(
    c,
    t("account.notFound"),
    <>
      <p>{t("account.notFoundBody")}</p>
      <p>
        <a href="/app/accounts">{t("account.back")}</a>
      </p>
    </>,
    404,
  );
}

/** The account page, its timeline from `cursor` (the newest entries without one). */
async function accountView(c: Context<ConsoleEnv>, deps: AppDeps, cursor: string | undefined) {
  const user = signedIn(c);
  const id = c.req.param("id") ?? "";
  // No account is named with control characters, and Postgres would refuse a NUL with an error.
  if (!ExternalId.safeParse(id).success) return notFound(c);
  const data = await accountPage(deps.db, user.workspaceId, id);
  if (!data) return notFound(c);
  const [health, { scorecard }, timeline] = await Promise.all([
    accountHealthHistory(deps.db, user.workspaceId, id, {}, deps.clock.now()),
    getScorecard(deps.db, user.workspaceId),
    accountTimeline(deps.db, user.workspaceId, id, { limit: TIMELINE_PAGE, ...(cursor ? { cursor } : {}) }),
  ]);
  if (!health || !timeline) return notFound(c);
  const t = c.var.t;
  return page(
    c,
    data.account.name,
    <AccountPage
      t={t}
      locale={c.var.locale}
      timeZone={user.timeZone}
      data={data}
      health={health}
      scorecard={scorecard}
      timeline={timeline}
      canChangeStage={roleAtLeast(user.role, "csm")}
      notice={c.req.query("stage-changed") !== undefined ? t("account.stageChanged") : undefined}
    />,
  );
}
