import { type Context, Hono } from "hono";
import type { AppDeps } from "../../api/context";
import { checkJourneyDraft } from "../../core/journeys/check-draft";
import { putJourneyDraft, showJourney } from "../../core/journeys/drafts";
import { simulateJourney } from "../../core/journeys/simulate-journey";
import type { ConsoleEnv } from "../context";
import { type JsonText, parseJsonText } from "../json-text";
import { type PageStatus, page, requireRole, signedIn } from "../page";
import { type EditorProblem, JourneyEditorPage, type SimulationView } from "../pages/journey-editor";
import { prettyDefinition } from "../pretty-definition";

/**
 * The journey editor (issue 18 item 3): CS Ops edit a draft's JSON, checked as they type against the
 * same rules the API applies, and save it through the same use case as PUT /v1/journeys/{key}.
 */
export function journeyEditorRoutes(deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();

  app.use("/app/journeys/:key/edit", requireRole("cs_ops"));
  app.use("/app/journeys/:key/validate", requireRole("cs_ops"));
  app.use("/app/journeys/:key/simulate", requireRole("cs_ops"));

  const editorPage = (
    c: Context<ConsoleEnv>,
    view: {
      key: string;
      text: string;
      problems: EditorProblem[];
      notice?: string;
      error?: string;
      simulation?: SimulationView;
      simulate?: { accounts: number; days: number };
    },
    status: PageStatus = 200,
  ) =>
    page(
      c,
      `${c.var.t("journeyEditor.title")}: ${view.key}`,
      <JourneyEditorPage
        t={c.var.t}
        locale={c.var.locale}
        journeyKey={view.key}
        text={view.text}
        problems={view.problems}
        {...(view.notice ? { notice: view.notice } : {})}
        {...(view.error ? { error: view.error } : {})}
        {...(view.simulation ? { simulation: view.simulation } : {})}
        {...(view.simulate ? { simulate: view.simulate } : {})}
      />,
      status,
    );
  const notFound = (c: Context<ConsoleEnv>) =>
    page(c, c.var.t("journeys.title"), <p>{c.var.t("forbidden.body")}</p>, 404);
  /** A syntax error as one problem of the whole document, in the reader's language. */
  const syntaxProblem = (c: Context<ConsoleEnv>, parsed: Extract<JsonText, { ok: false }>) => ({
    pointer: "",
    message: `${c.var.t("journeyEditor.syntax")} ${parsed.line}, ${c.var.t("journeyEditor.column")} ${parsed.column}`,
    at: parsed.at,
  });

  app.get("/app/journeys/:key/edit", async (c) => {
    const user = signedIn(c);
    const key = c.req.param("key");
    const journey = await showJourney(deps, user.workspaceId, key);
    if (!journey) return notFound(c);
    const t = c.var.t;
    const saved = c.req.query("saved") !== undefined;
    const notice = saved
      ? journey.problems.length
        ? t("journeyEditor.savedWithProblems")
        : t("journeyEditor.saved")
      : undefined;
    return editorPage(c, {
      key,
      text: prettyDefinition(journey.draft),
      problems: journey.problems,
      ...(notice ? { notice } : {}),
    });
  });

  app.post("/app/journeys/:key/edit", async (c) => {
    const user = signedIn(c);
    const key = c.req.param("key");
    const t = c.var.t;
    const form = await c.req.parseBody();
    const text = String(form.definition ?? "");
    const journey = await showJourney(deps, user.workspaceId, key);
    if (!journey) return notFound(c);
    const parsed = parseJsonText(text);
    if (!parsed.ok)
      return editorPage(
        c,
        { key, text, problems: [syntaxProblem(c, parsed)], error: t("journeyEditor.notSaved") },
        422,
      );
    const saved = await putJourneyDraft(deps, user.workspaceId, key, parsed.value);
    if (!saved.ok)
      return saved.refusal === "invalid"
        ? editorPage(c, { key, text, problems: saved.problems, error: t("journeyEditor.notSaved") }, 422)
        : editorPage(
            c,
            { key, text, problems: [], error: `${t("journeyEditor.refused")} ${saved.detail}` },
            409,
          );
    return c.redirect(`/app/journeys/${encodeURIComponent(key)}/edit?saved`, 303);
  });

  /** The saved draft run over a synthetic population (the core behind POST /v1/journeys/{key}/simulate). */
  app.post("/app/journeys/:key/simulate", async (c) => {
    const user = signedIn(c);
    const key = c.req.param("key");
    const t = c.var.t;
    const journey = await showJourney(deps, user.workspaceId, key);
    if (!journey) return notFound(c);
    const form = await c.req.parseBody();
    const accounts = Number(form.accounts);
    const days = Number(form.days);
    const base = { key, text: prettyDefinition(journey.draft), problems: journey.problems };
    const valid = (n: number, max: number) => Number.isInteger(n) && n >= 1 && n <= max;
    if (!valid(accounts, 10_000) || !valid(days, 365))
      return editorPage(c, { ...base, error: t("journeyEditor.simInvalid") }, 422);
    const to = deps.clock.now();
    const from = new Date(to.getTime() - days * 86_400_000);
    const result = await simulateJourney(deps, user.workspaceId, key, {
      accounts,
      from: from.toISOString(),
      to: to.toISOString(),
    });
    const simulate = { accounts, days };
    if (!result.ok)
      return editorPage(
        c,
        { ...base, simulate, error: `${t("journeyEditor.simRefused")} ${result.detail}` },
        result.why === "not_found" ? 404 : 422,
      );
    const { summary } = result.response;
    const perDay = new Map<string, number>();
    for (let d = 0; d < days; d++)
      perDay.set(new Date(from.getTime() + d * 86_400_000).toISOString().slice(0, 10), 0);
    for (const account of result.response.accounts)
      for (const touch of account.touches) {
        const day = touch.at.slice(0, 10);
        if (perDay.has(day)) perDay.set(day, (perDay.get(day) ?? 0) + 1);
      }
    const steps = ((journey.draft as { steps?: { id: string; label?: string }[] }).steps ?? []).filter(
      (s) => summary.touchesByStep[s.id] !== undefined,
    );
    const simulation: SimulationView = {
      accounts,
      days,
      enrolled: summary.accountsEnrolled,
      touches: summary.touches,
      escalations: summary.escalations,
      goals: summary.goals,
      steps: steps.map((s) => ({
        id: s.id,
        label: s.label ?? s.id,
        touches: summary.touchesByStep[s.id] ?? 0,
      })),
      perDay: [...perDay].map(([day, touches]) => ({ day, touches })),
      sampled: result.response.accountsTruncated,
    };
    return editorPage(c, { ...base, simulate, simulation });
  });

  /** The editor's check as the author types: `{ problems: [{ pointer, message, at? }] }`. */
  app.post("/app/journeys/:key/validate", async (c) => {
    const user = signedIn(c);
    const key = c.req.param("key");
    const form = await c.req.parseBody();
    const parsed = parseJsonText(String(form.definition ?? ""));
    const problems = await checkJourneyDraft(deps, user.workspaceId, key, parsed.ok ? parsed.value : {});
    if (!problems) return c.json({ problems: [] }, 404);
    if (!parsed.ok) return c.json({ problems: [syntaxProblem(c, parsed)] }, 200);
    return c.json({ problems }, 200);
  });

  return app;
}
