import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps } from "../../api/context";
import { firstAccountIds } from "../../core/accounts/account-ids";
import { listCsms } from "../../core/escalations/csms";
import { findJourneyRow } from "../../core/journeys/journeys";
import type { SimulateResponse } from "../../core/journeys/simulate";
import { simulateJourney } from "../../core/journeys/simulate-journey";
import type { ConsoleEnv } from "../context";
import { page, requireRole, signedIn } from "../page";
import { type SimulateForm, SimulatePage } from "../pages/journey-simulate";
import { simulationView } from "../simulation-view";

/** The console asks for at most this many accounts: every simulated account is then shown in the per-day counts. */
const MAX_CONSOLE_ACCOUNTS = 1_000;

const Form = z.object({
  population: z.enum(["synthetic", "accounts"]).catch("synthetic"),
  count: z.coerce.number().int().min(1).max(MAX_CONSOLE_ACCOUNTS).default(200),
  days: z.coerce.number().int().min(1).max(365).default(90),
  compare: z.string().optional(),
});

/**
 * "Who would get what" from the journey page (issue 18): the draft over synthetic accounts or the
 * workspace's own, in the window ending now, optionally beside the live version on the same population.
 * A GET (it changes nothing), so a result is a link; the same use case as POST /v1/journeys/{key}/simulate.
 */
export function journeySimulateRoutes(deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();
  app.get("/app/journeys/:key/simulate", requireRole("viewer"), async (c) => {
    const user = signedIn(c);
    const t = c.var.t;
    const key = c.req.param("key");
    const row = await findJourneyRow(deps.db, user.workspaceId, key);
    if (!row) return page(c, t("simulate.title"), <p>{t("forbidden.body")}</p>, 404);
    const query = c.req.query();
    const parsed = Form.safeParse(query);
    const form: SimulateForm = parsed.success
      ? {
          population: parsed.data.population,
          count: parsed.data.count,
          days: parsed.data.days,
          compare: parsed.data.compare === "1",
        }
      : { population: "synthetic", count: 200, days: 90, compare: false };
    const title = `${t("simulate.title")}: ${row.name}`;
    const show = (extra: Partial<Parameters<typeof SimulatePage>[0]>, status: 200 | 422 = 200) =>
      page(
        c,
        title,
        <SimulatePage t={t} locale={c.var.locale} journeyKey={key} form={form} {...extra} />,
        status,
      );
    if (query.run === undefined) return show({});
    if (!parsed.success) return show({ error: t("simulate.badInput") }, 422);
    const accounts =
      form.population === "accounts"
        ? await firstAccountIds(deps.db, user.workspaceId, MAX_CONSOLE_ACCOUNTS)
        : form.count;
    if (Array.isArray(accounts) && accounts.length === 0) return show({ error: t("simulate.badInput") }, 422);
    const to = deps.clock.now();
    const window = {
      from: new Date(to.getTime() - form.days * 86_400_000).toISOString(),
      to: to.toISOString(),
    };
    const draft = await simulateJourney(deps, user.workspaceId, key, { accounts, ...window });
    if (!draft.ok) return show({ problems: draft.problems, error: draft.detail }, 422);
    let live: SimulateResponse | undefined;
    if (form.compare) {
      if (row.latestVersion === null) return show({ error: t("simulate.noLive") }, 422);
      const run = await simulateJourney(deps, user.workspaceId, key, {
        accounts,
        ...window,
        version: row.latestVersion,
      });
      if (!run.ok) return show({ problems: run.problems, error: run.detail }, 422);
      live = run.response;
    }
    // The steps that touch someone, in the draft's order (the counts are touches).
    const steps = ((row.draft as { steps?: { id?: unknown; type?: unknown }[] }).steps ?? [])
      .filter((s) => s.type === "email" || s.type === "in_app")
      .map((s) => s.id)
      .filter((id): id is string => typeof id === "string");
    const csms = await listCsms(deps.db, user.workspaceId);
    const view = simulationView(draft.response, steps, new Map(csms.map((x) => [x.email, x.capacity])), live);
    return show({ view });
  });
  return app;
}
