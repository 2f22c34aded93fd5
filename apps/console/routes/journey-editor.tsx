import { type Context, Hono } from "hono";
import type { AppDeps } from "../../api/context";
import { checkJourneyDraft } from "../../core/journeys/check-draft";
import { putJourneyDraft, showJourney } from "../../core/journeys/drafts";
import type { ConsoleEnv } from "../context";
import { type JsonText, parseJsonText } from "../json-text";
import { type PageStatus, page, requireRole, signedIn } from "../page";
import { type EditorProblem, JourneyEditorPage } from "../pages/journey-editor";
import { prettyDefinition } from "../pretty-definition";

/**
 * The journey editor (issue 18 item 3): CS Ops edit a draft's JSON, checked as they type against the
 * same rules the API applies, and save it through the same use case as PUT /v1/journeys/{key}.
 */
export function journeyEditorRoutes(deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();

  app.use("/app/journeys/:key/edit", requireRole("cs_ops"));
  app.use("/app/journeys/:key/validate", requireRole("cs_ops"));

  const editorPage = (
    c: Context<ConsoleEnv>,
    view: {
      key: string;
      text: string;
      problems: EditorProblem[];
      notice?: string;
      error?: string;
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
