import type { Locale, T } from "../i18n";

export type EditorProblem = { pointer: string; message: string };

/**
 * The draft's JSON in a plain form (a labelled textarea and a save button) that works without script;
 * /app/static/editor.js turns the textarea into CodeMirror and checks the text as it is typed.
 */
export function JourneyEditorPage({
  t,
  journeyKey,
  text,
  problems,
  notice,
  error,
}: {
  t: T;
  /** The page's language (the editor's words come from the same catalog). */
  locale?: Locale;
  journeyKey: string;
  text: string;
  problems: EditorProblem[];
  notice?: string;
  error?: string;
}) {
  const path = `/app/journeys/${encodeURIComponent(journeyKey)}`;
  return (
    <>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <form
        method="post"
        action={`${path}/edit`}
        class="card journey-editor"
        data-validate={`${path}/validate`}
      >
        <label for="definition">{t("journeyEditor.definition")}</label>
        <p id="definition-hint" class="muted">
          {t("journeyEditor.hint")}
        </p>
        <textarea
          id="definition"
          name="definition"
          rows={24}
          spellcheck={false}
          autocomplete="off"
          aria-describedby="definition-hint"
        >
          {text}
        </textarea>
        <h2 id="problems-heading">{t("journeyEditor.problems")}</h2>
        <ul
          id="problems"
          class="editor-problems"
          aria-labelledby="problems-heading"
          aria-live="polite"
          data-none={t("journeyEditor.noProblems")}
          data-document={t("journeyEditor.document")}
          data-go-to={t("journeyEditor.goTo")}
        >
          {problems.length === 0 ? (
            <li class="none">{t("journeyEditor.noProblems")}</li>
          ) : (
            problems.map((p) => (
              <li>
                <code>{p.pointer || t("journeyEditor.document")}</code> {p.message}
              </li>
            ))
          )}
        </ul>
        <div class="actions">
          <button type="submit">{t("journeyEditor.save")}</button>
          <a href={path}>{t("journeyEditor.back")}</a>
        </div>
      </form>
      <p>
        <a href={`${path}/simulate`}>{t("simulate.link")}</a>
      </p>
      <script src="/app/static/editor.js" defer />
    </>
  );
}
