import { diffLines } from "diff";
import { type Context, Hono } from "hono";
import { JourneyDefinition, JourneyKey } from "../../../workflows/journey/schema";
import type { AppDeps } from "../../api/context";
import { putJourneyDraft, showJourney } from "../../core/journeys/drafts";
import { canonicalJson, getVersion, type JourneyAction, listVersions } from "../../core/journeys/journeys";
import { changeJourneyStatus } from "../../core/journeys/lifecycle";
import { heldTouches, journeyOverviews, runningEnrollments } from "../../core/journeys/overview";
import { publish } from "../../core/journeys/publish";
import { journeyStats } from "../../core/journeys/stats";
import { loadPlaybooks } from "../../core/templates/files";
import { roleAtLeast } from "../../core/workspace/roles";
import type { ConsoleEnv } from "../context";
import { layoutJourney } from "../journey-graph";
import { page, requireRole, signedIn } from "../page";
import { ConfirmAction, type DiffView, JourneyPage, type JourneyView } from "../pages/journey";
import { JourneysPage } from "../pages/journeys";

const ACTIONS = ["publish", "pause", "resume", "archive"] as const;
type Action = (typeof ACTIONS)[number];
const isAction = (value: string): value is Action => (ACTIONS as readonly string[]).includes(value);

/**
 * The journey studio's list and journey pages (issue 18): anyone signed in reads them; CS Ops create
 * from a playbook, publish, pause, resume and archive, each confirming how many runs it touches.
 */
export function journeysRoutes(deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();
  const playbooks = loadPlaybooks().then((all) =>
    all.map((p) => ({
      key: p.key,
      name: String((p.definition as { name?: unknown }).name ?? p.key),
      definition: p.definition,
    })),
  );

  app.use("/app/journeys", requireRole("viewer"));
  app.use("/app/journeys/*", requireRole("viewer"));

  const listPage = async (c: Context<ConsoleEnv>, error?: string, status: 200 | 409 | 422 = 200) => {
    const user = signedIn(c);
    return page(
      c,
      c.var.t("journeys.title"),
      <JourneysPage
        t={c.var.t}
        locale={c.var.locale}
        timeZone={user.timeZone}
        journeys={await journeyOverviews(deps.db, user.workspaceId)}
        playbooks={await playbooks}
        canEdit={roleAtLeast(user.role, "cs_ops")}
        {...(error ? { error } : {})}
      />,
      status,
    );
  };

  app.get("/app/journeys", (c) => listPage(c));

  app.post("/app/journeys", requireRole("cs_ops"), async (c) => {
    const user = signedIn(c);
    const t = c.var.t;
    const form = await c.req.parseBody();
    const playbook = (await playbooks).find((p) => p.key === String(form.playbook ?? ""));
    if (!playbook) return listPage(c, t("journeys.invalidKey"), 422);
    const typed = String(form.key ?? "").trim();
    const key = JourneyKey.safeParse(typed || playbook.key);
    if (!key.success) return listPage(c, t("journeys.invalidKey"), 422);
    if (await showJourney(deps, user.workspaceId, key.data)) return listPage(c, t("journeys.taken"), 409);
    const saved = await putJourneyDraft(deps, user.workspaceId, key.data, {
      ...(playbook.definition as Record<string, unknown>),
      key: key.data,
    });
    if (!saved.ok) return listPage(c, t("journeys.invalidKey"), 422);
    return c.redirect(`/app/journeys/${encodeURIComponent(key.data)}?done=created`, 303);
  });

  app.get("/app/journeys/:key", async (c) => {
    const user = signedIn(c);
    const t = c.var.t;
    const key = c.req.param("key");
    const journey = await showJourney(deps, user.workspaceId, key);
    if (!journey) return page(c, t("journeys.title"), <p>{t("forbidden.body")}</p>, 404);
    const [versions, live, stats, held, running] = await Promise.all([
      listVersions(deps.db, user.workspaceId, key),
      journey.latestVersion === null ? null : getVersion(deps.db, user.workspaceId, key),
      journeyStats(deps.db, user.workspaceId, key),
      heldTouches(deps.db, user.workspaceId, key),
      runningEnrollments(deps.db, user.workspaceId, key),
    ]);
    const draft = JourneyDefinition.safeParse(journey.draft);
    const drawn = live?.definition ?? (draft.success ? draft.data : undefined);
    const parsed = drawn ? JourneyDefinition.safeParse(drawn) : undefined;
    const view: JourneyView = {
      key,
      name: journey.name,
      status: journey.status,
      liveVersion: journey.latestVersion,
      definition: (drawn ?? journey.draft) as Record<string, unknown>,
      draftChanged: !live || !draft.success || canonicalJson(draft.data) !== canonicalJson(live.definition),
      problems: journey.problems,
      versions: (versions ?? []).map((v) => ({ version: v.version, publishedAt: v.publishedAt })),
      running: running ?? 0,
    };
    const diff = await versionDiff(
      user.workspaceId,
      key,
      c.req.query("from"),
      c.req.query("to"),
      journey.draft,
    );
    const done = c.req.query("done");
    const notice =
      done === "created"
        ? t("journeys.created")
        : done && isAction(done)
          ? t(`journey.done.${done}`)
          : undefined;
    return page(
      c,
      journey.name,
      <JourneyPage
        t={t}
        locale={c.var.locale}
        timeZone={signedIn(c).timeZone}
        journey={view}
        graph={parsed?.success ? layoutJourney(parsed.data) : null}
        stats={stats}
        held={held}
        canEdit={roleAtLeast(user.role, "cs_ops")}
        {...(diff ? { diff } : {})}
        {...(notice ? { notice } : {})}
      />,
    );
  });

  app.post("/app/journeys/:key/:action", requireRole("cs_ops"), async (c) => {
    const user = signedIn(c);
    const t = c.var.t;
    const key = c.req.param("key");
    const action = c.req.param("action");
    if (!isAction(action)) return c.notFound();
    const running = await runningEnrollments(deps.db, user.workspaceId, key);
    if (running === null) return page(c, t("journeys.title"), <p>{t("forbidden.body")}</p>, 404);
    const form = await c.req.parseBody();
    if (form.confirmed !== "yes")
      return page(
        c,
        t("journey.confirmTitle"),
        <ConfirmAction t={t} locale={c.var.locale} journeyKey={key} action={action} running={running} />,
      );
    const path = `/app/journeys/${encodeURIComponent(key)}`;
    const refused = async (detail: string) =>
      page(
        c,
        t("journey.confirmTitle"),
        <p class="error" role="alert">
          {t("journey.refused")} {detail} <a href={path}>{t("journey.cancel")}</a>
        </p>,
        409,
      );
    if (action === "publish") {
      const result = await publish(deps, user.workspaceId, key, {}, { limits: deps.bulkLimits });
      if (!result.ok) return refused(result.detail);
    } else {
      const result = await changeJourneyStatus(deps, user.workspaceId, key, action as JourneyAction);
      if (!result.ok) return refused(result.detail);
    }
    return c.redirect(`${path}?done=${action}`, 303);
  });

  return app;

  /** The two definitions compared, as pretty JSON lines: a version number or "draft" each. */
  async function versionDiff(
    workspaceId: string,
    key: string,
    from: string | undefined,
    to: string | undefined,
    draft: Record<string, unknown>,
  ): Promise<DiffView | undefined> {
    if (!from || !to) return undefined;
    // Keys in one order on both sides (canonicalJson sorts them), so only real changes show.
    const pretty = (value: unknown) => JSON.stringify(JSON.parse(canonicalJson(value)), null, 2);
    const text = async (which: string) => {
      if (which === "draft") {
        const parsed = JourneyDefinition.safeParse(draft);
        return pretty(parsed.success ? parsed.data : draft);
      }
      const n = Number(which);
      if (!Number.isInteger(n) || n < 1) return undefined;
      const version = await getVersion(deps.db, workspaceId, key, n);
      return version ? pretty(version.definition) : undefined;
    };
    const [a, b] = await Promise.all([text(from), text(to)]);
    if (a === undefined || b === undefined) return undefined;
    return { from, to, changes: diffLines(a, b) };
  }
}
