import { Chart } from "../chart";
import type { Locale, T } from "../i18n";

export type EditorProblem = { pointer: string; message: string };

/** What a simulation of the saved draft found, ready to show. */
export type SimulationView = {
  accounts: number;
  days: number;
  enrolled: number;
  touches: number;
  escalations: number;
  goals: number;
  steps: { id: string; label: string; touches: number }[];
  perDay: { day: string; touches: number }[];
  sampled: boolean;
};

/**
 * The draft's JSON in a plain form (a labelled textarea and a save button) that works without script;
 * /app/static/editor.js turns the textarea into CodeMirror and checks the text as it is typed.
 */
export function JourneyEditorPage({
  t,
  locale,
  journeyKey,
  text,
  problems,
  notice,
  error,
  simulation,
  simulate = { accounts: 100, days: 90 },
}: {
  t: T;
  locale: Locale;
  journeyKey: string;
  text: string;
  problems: EditorProblem[];
  notice?: string;
  error?: string;
  simulation?: SimulationView;
  simulate?: { accounts: number; days: number };
}) {
  const number = new Intl.NumberFormat(locale);
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
      <section class="card" aria-labelledby="simulate-heading" id="simulate">
        <h2 id="simulate-heading">{t("journeyEditor.simulate")}</h2>
        <p class="muted">{t("journeyEditor.simulateHint")}</p>
        <form method="post" action={`${path}/simulate#simulate`} class="inline wrap">
          <label for="sim-accounts">{t("journeyEditor.simAccounts")}</label>
          <input
            id="sim-accounts"
            name="accounts"
            type="number"
            min={1}
            max={10000}
            value={String(simulate.accounts)}
          />
          <label for="sim-days">{t("journeyEditor.simDays")}</label>
          <input id="sim-days" name="days" type="number" min={1} max={365} value={String(simulate.days)} />
          <button type="submit" class="secondary">
            {t("journeyEditor.simSubmit")}
          </button>
        </form>
        {simulation && (
          <div class="simulation">
            <dl>
              <dt>{t("journeyEditor.simEnrolled")}</dt>
              <dd>{number.format(simulation.enrolled)}</dd>
              <dt>{t("journeyEditor.simTouches")}</dt>
              <dd>{number.format(simulation.touches)}</dd>
              <dt>{t("journeyEditor.simEscalations")}</dt>
              <dd>{number.format(simulation.escalations)}</dd>
              <dt>{t("journeyEditor.simGoals")}</dt>
              <dd>{number.format(simulation.goals)}</dd>
            </dl>
            <h3>{t("journeyEditor.simPerDay")}</h3>
            <Chart
              spec={{
                kind: "bar",
                labels: simulation.perDay.map((d) => d.day),
                series: [
                  { label: t("journeyEditor.simTouches"), data: simulation.perDay.map((d) => d.touches) },
                ],
              }}
              label={t("journeyEditor.simPerDay")}
              table={t("journeyEditor.simPerDayTable")}
            />
            {simulation.sampled && <p class="muted">{t("journeyEditor.simSample")}</p>}
            <h3>{t("journeyEditor.simPerStep")}</h3>
            <div class="table-scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("journeyEditor.simStep")}</th>
                    <th scope="col" class="num">
                      {t("journeyEditor.simTouches")}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {simulation.steps.map((s) => (
                    <tr>
                      <th scope="row">
                        {s.label}
                        <div class="muted">{s.id}</div>
                      </th>
                      <td class="num">{number.format(s.touches)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
        )}
      </section>
      <script src="/app/static/editor.js" defer />
    </>
  );
}
