import { Chart } from "../chart";
import type { Locale, T } from "../i18n";
import type { SimulationView } from "../simulation-view";

export type SimulateForm = {
  population: "synthetic" | "accounts";
  count: number;
  days: number;
  compare: boolean;
};

/** The simulate page: the form (a GET, so a result is a link), then what the draft would do. */
export function SimulatePage({
  t,
  locale,
  journeyKey,
  form,
  view,
  problems,
  error,
}: {
  t: T;
  locale: Locale;
  journeyKey: string;
  form: SimulateForm;
  view?: SimulationView;
  problems?: { pointer: string; message: string }[];
  error?: string;
}) {
  const n = new Intl.NumberFormat(locale);
  const path = `/app/journeys/${encodeURIComponent(journeyKey)}`;
  const live = Boolean(view?.liveSummary);
  const both = (draft: number, other: number | undefined) =>
    live ? `${n.format(draft)} / ${n.format(other ?? 0)}` : n.format(draft);
  return (
    <>
      <p>
        <a href={path}>← {journeyKey}</a>
      </p>
      <p>{t("simulate.intro")}</p>
      <form method="get" action={`${path}/simulate`} class="card stack wide">
        <fieldset>
          <legend>{t("simulate.population")}</legend>
          <label class="choice">
            <input
              type="radio"
              name="population"
              value="synthetic"
              checked={form.population === "synthetic"}
            />{" "}
            {t("simulate.synthetic")}
          </label>
          <label class="choice">
            <input type="radio" name="population" value="accounts" checked={form.population === "accounts"} />{" "}
            {t("simulate.yours")}
          </label>
        </fieldset>
        <label for="count">{t("simulate.count")}</label>
        <input id="count" name="count" type="number" min="1" max="1000" value={String(form.count)} />
        <label for="days">{t("simulate.days")}</label>
        <input id="days" name="days" type="number" min="1" max="365" value={String(form.days)} />
        <label class="choice">
          <input type="checkbox" name="compare" value="1" checked={form.compare} /> {t("simulate.compare")}
        </label>
        <button type="submit" name="run" value="1">
          {t("simulate.run")}
        </button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {problems && problems.length > 0 && (
        <div class="problems" role="alert">
          <p class="error">{t("simulate.invalid")}</p>
          <ul>
            {problems.map((p) => (
              <li>
                <code>{p.pointer}</code> {p.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {view && (
        <section aria-labelledby="results">
          <h2 id="results">{t("simulate.results")}</h2>
          <div class="card">
            <table>
              <caption class="visually-hidden">{t("simulate.results")}</caption>
              <thead>
                <tr>
                  <th scope="col" />
                  <th scope="col" class="num">
                    {live ? `${t("simulate.draft")} / ${t("simulate.live")}` : t("simulate.draft")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {(
                  [
                    ["simulate.accounts", "accounts"],
                    ["simulate.enrolled", "enrolled"],
                    ["simulate.touches", "touches"],
                    ["simulate.escalations", "escalations"],
                    ["simulate.completed", "completed"],
                    ["simulate.exited", "exited"],
                    ["simulate.goals", "goals"],
                    ["simulate.noRecipient", "touchesWithoutRecipient"],
                  ] as const
                ).map(([label, field]) => (
                  <tr>
                    <th scope="row">{t(label)}</th>
                    <td class="num">{both(view.summary[field], view.liveSummary?.[field])}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p class="muted">
              {t("simulate.took")} {n.format(view.durationMs)} ms
            </p>
          </div>
          {view.warnings.length > 0 && (
            <div class="card">
              <h3>{t("simulate.warnings")}</h3>
              <ul>
                {view.warnings.map((w) => (
                  <li>{w}</li>
                ))}
              </ul>
            </div>
          )}
          <div class="card">
            <h3>{t("simulate.perDay")}</h3>
            <Chart
              id="touches-per-day"
              label={t("simulate.perDayLabel")}
              table={t("simulate.perDayTable")}
              spec={{
                kind: "bar",
                labels: view.days,
                series: [
                  { label: t("simulate.draft"), data: view.touchesPerDay },
                  ...(view.liveTouchesPerDay
                    ? [{ label: t("simulate.live"), data: view.liveTouchesPerDay }]
                    : []),
                ],
              }}
            />
          </div>
          <div class="card">
            <h3>{t("simulate.perStep")}</h3>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("simulate.step")}</th>
                  <th scope="col" class="num">
                    {t("simulate.draft")}
                  </th>
                  {live && (
                    <th scope="col" class="num">
                      {t("simulate.live")}
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {view.steps.map((s) => (
                  <tr>
                    <th scope="row">{s.stepId}</th>
                    <td class="num">{n.format(s.touches)}</td>
                    {live && <td class="num">{n.format(s.liveTouches ?? 0)}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="card">
            <h3>{t("simulate.perCsm")}</h3>
            {view.csms.length === 0 ? (
              <p>{t("simulate.noEscalations")}</p>
            ) : (
              <div class="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t("simulate.csm")}</th>
                      <th scope="col" class="num">
                        {t("simulate.capacity")}
                      </th>
                      <th scope="col" class="num">
                        {t("simulate.busiest")}
                      </th>
                      <th scope="col" class="num">
                        {t("simulate.weeksOver")}
                      </th>
                      {view.weeks.map((w) => (
                        <th scope="col" class="num">
                          {w.slice(5)}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {view.csms.map((c) => (
                      <tr class={c.weeksOver > 0 ? "over" : undefined}>
                        <th scope="row">{c.email || t("simulate.nobody")}</th>
                        <td class="num">{c.capacity === null ? "–" : n.format(c.capacity)}</td>
                        <td class="num">{n.format(c.busiest)}</td>
                        <td class="num">{n.format(c.weeksOver)}</td>
                        {c.perWeek.map((x) => (
                          <td class={c.capacity !== null && x > c.capacity ? "num over" : "num"}>
                            {n.format(x)}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </div>
          <div class="card">
            <h3>{t("simulate.samples")}</h3>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("simulate.account")}</th>
                  <th scope="col">{t("simulate.outcome")}</th>
                  <th scope="col">{t("simulate.received")}</th>
                </tr>
              </thead>
              <tbody>
                {view.samples.map((s) => (
                  <tr>
                    <th scope="row">{s.account}</th>
                    <td>{s.outcome}</td>
                    <td>
                      {s.touches.length === 0
                        ? t("simulate.nothing")
                        : s.touches
                            .map(
                              (x) =>
                                `${t("simulate.day").replace("{n}", String(x.day))}: ${x.template} (${x.channel})`,
                            )
                            .join(" · ")}
                      {s.escalations > 0 && ` · ${t("simulate.escalations")} ${n.format(s.escalations)}`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </>
  );
}
