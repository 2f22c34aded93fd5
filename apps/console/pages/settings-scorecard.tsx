import type { BandPreview } from "../../core/health/band-preview";
import { formatter } from "../format";
import type { Locale, MessageKey, T } from "../i18n";
import { BANDS, Card, type FormState, type SettingsView } from "./settings-form";

/** The scorecard section: its fields, the JSON of what they do not show, and the band preview. */

/** The whole scorecard as JSON, for what the fields do not show (curves, tier profiles, events, interval). */
function JsonForm({ t, form }: { t: T; form: FormState }) {
  const invalid = form.errors.json === true;
  const problems = form.values.jsonProblems;
  const text = form.values.json;
  return (
    <details class="scorecard-json" open={invalid}>
      <summary>{t("settings.scorecard.json")}</summary>
      <form
        method="post"
        action="/app/settings/scorecard"
        class="settings-form"
        hx-post="/app/settings/scorecard"
        hx-target="#settings-scorecard"
        hx-swap="outerHTML"
      >
        <p id="scorecard-json-hint" class="hint">
          {t("settings.scorecard.jsonHint")}
        </p>
        {/* No id on the textarea, as on the inputs above. */}
        <label class="wrapping">
          {t("settings.scorecard.jsonLabel")}
          <textarea
            name="json"
            rows={16}
            spellcheck={false}
            class="json"
            aria-invalid={invalid ? "true" : undefined}
            aria-describedby={invalid ? "scorecard-json-hint scorecard-json-error" : "scorecard-json-hint"}
          >
            {typeof text === "string" ? text : ""}
          </textarea>
        </label>
        {invalid && (
          <p id="scorecard-json-error" class="error field-error">
            {t("settings.scorecard.jsonInvalid")}
            {Array.isArray(problems) && problems.length > 0 && <code>{` ${problems.join(", ")}`}</code>}
          </p>
        )}
        <div class="actions">
          <button type="submit" name="intent" value="preview" class="secondary">
            {t("settings.scorecard.preview")}
          </button>
          <button type="submit" name="intent" value="save">
            {t("settings.scorecard.save")}
          </button>
        </div>
      </form>
    </details>
  );
}

/** A band threshold: its label wraps the input, which has no id (see ScorecardSection). */
function BandField({ t, form, name, label }: { t: T; form: FormState; name: string; label: MessageKey }) {
  const value = form.values[name];
  const invalid = form.errors[name] === true;
  const errorId = `${name.replace(".", "-")}-error`;
  return (
    <div class="field">
      <label class="wrapping">
        {t(label)}
        <input
          name={name}
          type="number"
          min={0}
          max={100}
          step="any"
          required
          value={typeof value === "string" ? value : ""}
          aria-invalid={invalid ? "true" : undefined}
          aria-describedby={invalid ? errorId : undefined}
        />
      </label>
      {invalid && (
        <p id={errorId} class="error field-error">
          {t("settings.fieldInvalid")}
        </p>
      )}
    </div>
  );
}

/** The scorecard: htmx swaps the section in place (preview, refusal, save); without script it posts. */
export function ScorecardSection({ t, locale, view }: { t: T; locale: Locale; view: SettingsView }) {
  const form = view.forms.scorecard;
  return (
    <Card t={t} view={view} section="scorecard">
      <p>{t("settings.scorecard.intro")}</p>
      {view.scorecardIsDefault && <p class="hint">{t("settings.scorecard.default")}</p>}
      <form
        method="post"
        action="/app/settings/scorecard"
        class="settings-form"
        hx-post="/app/settings/scorecard"
        hx-target="#settings-scorecard"
        hx-swap="outerHTML"
      >
        {/* Inputs here carry no id: htmx's settle copies attributes between old and new elements of one
            id, and Chromium leaves style="" on filled inputs (a CSP violation once copied). */}
        <div class="pair">
          <BandField t={t} form={form} name="bands.red" label="settings.scorecard.red" />
          <BandField t={t} form={form} name="bands.yellow" label="settings.scorecard.yellow" />
        </div>
        <div class="table-scroll">
          <table class="weights">
            <caption class="visually-hidden">{t("settings.scorecard.weight")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("settings.scorecard.measure")}</th>
                <th scope="col">{t("settings.scorecard.weight")}</th>
              </tr>
            </thead>
            <tbody>
              {view.scorecard.measures.map((m, i) => {
                const name = `measures.${i}.weight`;
                const invalid = form.errors[name] === true;
                const value = form.values[name];
                return (
                  <tr>
                    <th scope="row" id={`weight-${m.key}-label`}>
                      {m.label ?? m.key}
                    </th>
                    <td>
                      <input
                        aria-labelledby={`weight-${m.key}-label`}
                        name={name}
                        type="number"
                        min={0}
                        max={100}
                        step="any"
                        class="weight"
                        value={typeof value === "string" ? value : ""}
                        aria-invalid={invalid ? "true" : undefined}
                        aria-describedby={invalid ? `weight-${m.key}-error` : undefined}
                      />
                      {invalid && (
                        <p id={`weight-${m.key}-error`} class="error field-error">
                          {t("settings.fieldInvalid")}
                        </p>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <div class="actions">
          <button type="submit" name="intent" value="preview" class="secondary">
            {t("settings.scorecard.preview")}
          </button>
          <button type="submit" name="intent" value="save">
            {t("settings.scorecard.save")}
          </button>
        </div>
      </form>
      <JsonForm t={t} form={form} />
      {view.preview && <PreviewTable t={t} locale={locale} preview={view.preview} />}
    </Card>
  );
}

function PreviewTable({ t, locale, preview }: { t: T; locale: Locale; preview: BandPreview }) {
  const f = formatter(locale);
  return (
    <div class="band-preview" id="band-preview">
      <h3>{t("settings.scorecard.previewTitle")}</h3>
      {preview.accounts === 0 ? (
        <p>{t("settings.scorecard.noAccounts")}</p>
      ) : (
        <>
          <p class="hint">{t("settings.scorecard.previewIntro")}</p>
          <table class="preview-counts">
            <caption class="visually-hidden">{t("settings.scorecard.previewTitle")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("settings.scorecard.band")}</th>
                <th scope="col" class="num">
                  {t("settings.scorecard.now")}
                </th>
                <th scope="col" class="num">
                  {t("settings.scorecard.edited")}
                </th>
              </tr>
            </thead>
            <tbody>
              {BANDS.map((band) => (
                <tr data-band={band}>
                  <th scope="row">
                    <span class={`band-dot band-${band}`} aria-hidden="true" />
                    {t(`settings.band.${band}`)}
                  </th>
                  <td class="num" data-now={preview.now[band]}>
                    {f.number(preview.now[band])}
                  </td>
                  <td class="num" data-edited={preview.edited[band]}>
                    {f.number(preview.edited[band])}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            {t("settings.scorecard.changed")}:{" "}
            <strong data-changed={preview.changed}>{f.number(preview.changed)}</strong>
          </p>
          {preview.examples.length > 0 && (
            <table>
              <caption>{t("settings.scorecard.examples")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("settings.scorecard.account")}</th>
                  <th scope="col">{t("settings.scorecard.from")}</th>
                  <th scope="col">{t("settings.scorecard.to")}</th>
                  <th scope="col" class="num">
                    {t("settings.scorecard.score")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {preview.examples.map((x) => (
                  <tr>
                    <th scope="row">
                      <a href={`/app/accounts/${encodeURIComponent(x.externalId)}`}>{x.name}</a>
                    </th>
                    <td>{t(`settings.band.${x.from}`)}</td>
                    <td>{t(`settings.band.${x.to}`)}</td>
                    <td class="num">{`${f.number(x.scoreFrom)} → ${f.number(x.scoreTo)}`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}
