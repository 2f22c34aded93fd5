import type { Child } from "hono/jsx";
import type { Csm } from "../../core/escalations/csms";
import type { BandPreview } from "../../core/health/band-preview";
import type { Scorecard } from "../../core/health/scorecard";
import type { ApiKeyInfo } from "../../core/workspace/api-keys";
import type { Role } from "../../core/workspace/roles";
import { formatter } from "../format";
import type { Locale, MessageKey, T } from "../i18n";
import { timeZones } from "./profile";

export const SECTIONS = ["identity", "delivery", "csms", "keys", "scorecard"] as const;
export type Section = (typeof SECTIONS)[number];

/** What a form shows: the typed (or stored) values by field name, and a problem per field name. */
export type FormState = { values: Record<string, string | string[]>; errors: Record<string, true> };

export type SettingsView = {
  forms: Record<Section, FormState>;
  csms: Csm[];
  /** Journeys paused now: the settings hold no pause of their own, each journey's page does. */
  paused: { key: string; name: string }[];
  defaultZone: string;
  /** Null for a person who is not an admin: the section is not theirs. */
  keys: ApiKeyInfo[] | null;
  scorecard: Scorecard;
  scorecardIsDefault: boolean;
  /** The section a notice or an error belongs to. */
  notice?: { section: Section; text: string };
  invalid?: Section;
  newKey?: string;
  preview?: BandPreview;
};

const TIERS = ["high_touch", "low_touch", "tech_touch"] as const;
const ROLES: Role[] = ["viewer", "csm", "cs_ops", "admin"];
const BANDS = ["red", "yellow", "green"] as const;

/** The settings page: one card per section, each its own form posting to /app/settings/<section>. */
export function SettingsPage({ t, locale, view }: { t: T; locale: Locale; view: SettingsView }) {
  return (
    <div class="settings">
      <p>{t("settings.intro")}</p>
      <nav aria-label={t("settings.sections")} class="settings-toc">
        <ul>
          {SECTIONS.filter((s) => s !== "keys" || view.keys).map((s) => (
            <li>
              <a href={`#settings-${s}`}>{t(`settings.${s}`)}</a>
            </li>
          ))}
        </ul>
      </nav>
      <IdentitySection t={t} view={view} />
      <DeliverySection t={t} view={view} />
      <CsmsSection t={t} view={view} />
      {view.keys && <KeysSection t={t} locale={locale} view={view} keys={view.keys} />}
      <ScorecardSection t={t} locale={locale} view={view} />
    </div>
  );
}

function Card({
  t,
  view,
  section,
  children,
  adminOnly = false,
}: {
  t: T;
  view: SettingsView;
  section: Section;
  children: Child;
  adminOnly?: boolean;
}) {
  return (
    <section class="card" id={`settings-${section}`} aria-labelledby={`settings-${section}-title`}>
      <h2 id={`settings-${section}-title`}>
        {t(`settings.${section}`)}
        {adminOnly && <span class="badge settings-admin">{t("settings.adminOnly")}</span>}
      </h2>
      {view.invalid === section && (
        <p class="error" role="alert">
          {t("settings.invalid")}
        </p>
      )}
      {view.notice?.section === section && (
        <p class="notice" role="status">
          {view.notice.text}
        </p>
      )}
      {children}
    </section>
  );
}

type FieldProps = {
  t: T;
  form: FormState;
  id: string;
  name: string;
  label: MessageKey;
  hint?: MessageKey;
  type?: string;
  required?: boolean;
  inputmode?: "numeric";
  multiline?: boolean;
};

/** A labelled input showing its value; a problem is said beside it and tied to it for screen readers. */
function Field({
  t,
  form,
  id,
  name,
  label,
  hint,
  type = "text",
  required,
  inputmode,
  multiline,
}: FieldProps) {
  const value = form.values[name];
  const text = typeof value === "string" ? value : "";
  const invalid = form.errors[name] === true;
  const described = [hint ? `${id}-hint` : "", invalid ? `${id}-error` : ""].filter(Boolean).join(" ");
  const common = {
    id,
    name,
    "aria-invalid": invalid ? "true" : undefined,
    "aria-describedby": described || undefined,
  };
  return (
    <div class="field">
      <label for={id}>{t(label)}</label>
      {multiline ? (
        <textarea {...common} rows={3}>
          {text}
        </textarea>
      ) : (
        <input {...common} type={type} value={text} required={required} inputmode={inputmode} />
      )}
      {hint && (
        <p id={`${id}-hint`} class="hint">
          {t(hint)}
        </p>
      )}
      {invalid && (
        <p id={`${id}-error`} class="error field-error">
          {t("settings.fieldInvalid")}
        </p>
      )}
    </div>
  );
}

function Checks({
  t,
  form,
  name,
  legend,
  hint,
  idPrefix,
}: {
  t: T;
  form: FormState;
  name: string;
  legend: MessageKey;
  hint?: MessageKey;
  idPrefix: string;
}) {
  const value = form.values[name];
  const checked = Array.isArray(value) ? value : value ? [value] : [];
  return (
    <fieldset class="checks" aria-describedby={hint ? `${idPrefix}-hint` : undefined}>
      <legend>{t(legend)}</legend>
      {TIERS.map((tier) => (
        <label class="check" for={`${idPrefix}-${tier}`}>
          <input
            type="checkbox"
            id={`${idPrefix}-${tier}`}
            name={name}
            value={tier}
            checked={checked.includes(tier)}
          />
          {t(`settings.tier.${tier}`)}
        </label>
      ))}
      {hint && (
        <p id={`${idPrefix}-hint`} class="hint">
          {t(hint)}
        </p>
      )}
    </fieldset>
  );
}

function IdentitySection({ t, view }: { t: T; view: SettingsView }) {
  const form = view.forms.identity;
  const field = (name: string, label: MessageKey, extra: Partial<FieldProps> = {}) => (
    <Field t={t} form={form} id={`identity-${name}`} name={name} label={label} {...extra} />
  );
  return (
    <Card t={t} view={view} section="identity">
      <form method="post" action="/app/settings/identity" class="stack settings-form">
        {field("name", "settings.identity.name", { required: true })}
        {field("productName", "settings.identity.productName", { hint: "settings.optional" })}
        {field("appUrl", "settings.identity.appUrl", { type: "url" })}
        {field("logoUrl", "settings.identity.logoUrl", { type: "url" })}
        {field("brandColor", "settings.identity.brandColor", { hint: "settings.identity.brandColorHint" })}
        {field("senderName", "settings.identity.senderName")}
        {field("senderAddress", "settings.identity.senderAddress", { type: "email" })}
        {field("replyTo", "settings.identity.replyTo")}
        {field("postalAddress", "settings.identity.postalAddress", { multiline: true })}
        {field("supportUrl", "settings.identity.supportUrl", { type: "url" })}
        <button type="submit">{t("settings.identity.save")}</button>
      </form>
    </Card>
  );
}

function DeliverySection({ t, view }: { t: T; view: SettingsView }) {
  const form = view.forms.delivery;
  const zone = form.values["delivery.defaultTimezone"];
  const current = typeof zone === "string" ? zone : "UTC";
  const zoneInvalid = form.errors["delivery.defaultTimezone"] === true;
  return (
    <Card t={t} view={view} section="delivery">
      <p>{t("settings.delivery.intro")}</p>
      <form method="post" action="/app/settings/delivery" class="stack settings-form">
        <div class="pair">
          <Field
            t={t}
            form={form}
            id="delivery-quiet-start"
            name="delivery.quietHours.start"
            label="settings.delivery.quietStart"
            type="time"
          />
          <Field
            t={t}
            form={form}
            id="delivery-quiet-end"
            name="delivery.quietHours.end"
            label="settings.delivery.quietEnd"
            type="time"
          />
        </div>
        <p class="hint">{t("settings.delivery.quietHint")}</p>
        <div class="pair">
          <Field
            t={t}
            form={form}
            id="delivery-cap-max"
            name="delivery.frequencyCap.max"
            label="settings.delivery.capMax"
            inputmode="numeric"
          />
          <Field
            t={t}
            form={form}
            id="delivery-cap-per"
            name="delivery.frequencyCap.per"
            label="settings.delivery.capPer"
          />
        </div>
        <p class="hint">{t("settings.delivery.capHint")}</p>
        <div class="field">
          <label for="delivery-timezone">{t("settings.delivery.timezone")}</label>
          <select
            id="delivery-timezone"
            name="delivery.defaultTimezone"
            aria-invalid={zoneInvalid ? "true" : undefined}
            aria-describedby={zoneInvalid ? "delivery-timezone-error" : undefined}
          >
            {timeZones(current).map((tz) => (
              <option value={tz} selected={tz === current}>
                {tz}
              </option>
            ))}
          </select>
          {zoneInvalid && (
            <p id="delivery-timezone-error" class="error field-error">
              {t("settings.fieldInvalid")}
            </p>
          )}
        </div>
        <Checks
          t={t}
          form={form}
          name="email.csmSenderTiers"
          legend="settings.delivery.csmSenderTiers"
          idPrefix="delivery-sender-tier"
        />
        <Field
          t={t}
          form={form}
          id="delivery-fallback-owner"
          name="escalations.fallbackOwner"
          label="settings.delivery.fallbackOwner"
          type="email"
          hint="settings.optional"
        />
        <Field
          t={t}
          form={form}
          id="delivery-manager"
          name="notifications.managerEmail"
          label="settings.delivery.managerEmail"
          hint="settings.optional"
        />
        <button type="submit">{t("settings.delivery.save")}</button>
      </form>
      <h3>{t("settings.delivery.paused")}</h3>
      {view.paused.length === 0 ? (
        <p>{t("settings.delivery.nonePaused")}</p>
      ) : (
        <ul class="plain">
          {view.paused.map((j) => (
            <li>
              <a href={`/app/journeys/${encodeURIComponent(j.key)}`}>{j.name}</a>
            </li>
          ))}
        </ul>
      )}
      <p class="hint">{t("settings.delivery.noCategories")}</p>
    </Card>
  );
}

function CsmsSection({ t, view }: { t: T; view: SettingsView }) {
  const form = view.forms.csms;
  const locale = form.values.locale;
  const zone = typeof form.values.timezone === "string" ? form.values.timezone : "";
  return (
    <Card t={t} view={view} section="csms">
      {view.csms.length === 0 ? (
        <p>{t("settings.csms.empty")}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <caption class="visually-hidden">{t("settings.csms")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("settings.csms.email")}</th>
                <th scope="col">{t("settings.csms.tiers")}</th>
                <th scope="col" class="num">
                  {t("settings.csms.capacity")}
                </th>
                <th scope="col" class="num">
                  {t("settings.csms.load")}
                </th>
                <th scope="col">{t("settings.csms.locale")}</th>
                <th scope="col">{t("settings.csms.timezone")}</th>
                <th scope="col">{t("settings.csms.status")}</th>
                <th scope="col">
                  <span class="visually-hidden">{t("settings.csms.edit")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {view.csms.map((csm) => (
                <tr>
                  <th scope="row">
                    {csm.name ? (
                      <>
                        {csm.name}
                        <br />
                        <span class="muted">{csm.email}</span>
                      </>
                    ) : (
                      csm.email
                    )}
                  </th>
                  <td>
                    {csm.tiers.length === 0
                      ? t("settings.csms.everyTier")
                      : csm.tiers
                          .map((tier) =>
                            (TIERS as readonly string[]).includes(tier)
                              ? t(`settings.tier.${tier as (typeof TIERS)[number]}`)
                              : tier,
                          )
                          .join(", ")}
                  </td>
                  <td class="num">{csm.capacity ?? t("settings.csms.noLimit")}</td>
                  <td class="num">{csm.openLoad}</td>
                  <td>{csm.locale === "ja" ? "日本語" : "English"}</td>
                  <td>{csm.timezone ?? `${t("settings.csms.defaultZone")} (${view.defaultZone})`}</td>
                  <td>{csm.active ? t("settings.csms.active") : t("settings.csms.inactive")}</td>
                  <td>
                    <a
                      href={`/app/settings?csm=${encodeURIComponent(csm.email)}#settings-csm-form`}
                      aria-label={`${t("settings.csms.edit")} ${csm.email}`}
                    >
                      {t("settings.csms.edit")}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3 id="settings-csm-form">{t("settings.csms.editing")}</h3>
      <form method="post" action="/app/settings/csms" class="stack settings-form">
        <Field
          t={t}
          form={form}
          id="csm-email"
          name="email"
          label="settings.csms.email"
          type="email"
          required
        />
        <Field
          t={t}
          form={form}
          id="csm-name"
          name="name"
          label="settings.csms.name"
          hint="settings.optional"
        />
        <Field
          t={t}
          form={form}
          id="csm-capacity"
          name="capacity"
          label="settings.csms.capacity"
          inputmode="numeric"
          hint="settings.csms.capacityHint"
        />
        <Checks
          t={t}
          form={form}
          name="tiers"
          legend="settings.csms.tiers"
          hint="settings.csms.tiersHint"
          idPrefix="csm-tier"
        />
        <div class="field">
          <label for="csm-locale">{t("settings.csms.locale")}</label>
          <select id="csm-locale" name="locale">
            <option value="en" selected={locale !== "ja"} lang="en">
              English
            </option>
            <option value="ja" selected={locale === "ja"} lang="ja">
              日本語
            </option>
          </select>
        </div>
        <div class="field">
          <label for="csm-timezone">{t("settings.csms.timezone")}</label>
          <select id="csm-timezone" name="timezone">
            <option value="" selected={!zone}>
              {`${t("settings.csms.defaultZone")} (${view.defaultZone})`}
            </option>
            {timeZones(zone || null).map((tz) => (
              <option value={tz} selected={tz === zone}>
                {tz}
              </option>
            ))}
          </select>
        </div>
        <label class="check" for="csm-active">
          <input
            type="checkbox"
            id="csm-active"
            name="active"
            value="true"
            checked={form.values.active === "true"}
          />
          {t("settings.csms.active")}
        </label>
        <button type="submit">{t("settings.csms.save")}</button>
      </form>
    </Card>
  );
}

function KeysSection({
  t,
  locale,
  view,
  keys,
}: {
  t: T;
  locale: Locale;
  view: SettingsView;
  keys: ApiKeyInfo[];
}) {
  const f = formatter(locale, view.defaultZone);
  const form = view.forms.keys;
  return (
    <Card t={t} view={view} section="keys" adminOnly>
      <p>
        {t("settings.keys.people")} <a href="/app/users">{t("settings.keys.peopleLink")}</a>
      </p>
      {view.newKey && (
        <div class="new-key" role="status">
          <p class="notice">{t("settings.keys.shownOnce")}</p>
          <label for="new-key">{t("settings.keys.newKey")}</label>
          <input id="new-key" class="key-value" readonly value={view.newKey} />
        </div>
      )}
      {keys.length === 0 ? (
        <p>{t("settings.keys.empty")}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <caption class="visually-hidden">{t("settings.keys")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("settings.keys.name")}</th>
                <th scope="col">{t("settings.keys.role")}</th>
                <th scope="col">{t("settings.keys.prefix")}</th>
                <th scope="col">{t("settings.keys.created")}</th>
                <th scope="col">{t("settings.keys.status")}</th>
                <th scope="col">
                  <span class="visually-hidden">{t("settings.keys.revoke")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr>
                  <th scope="row">{key.name}</th>
                  <td>{t(`role.${key.role}`)}</td>
                  <td>
                    <code>{`${key.prefix}…`}</code>
                  </td>
                  <td>
                    <time datetime={key.createdAt.toISOString()}>{f.time(key.createdAt)}</time>
                  </td>
                  <td>{key.revokedAt ? t("settings.keys.revoked") : t("settings.keys.live")}</td>
                  <td>
                    {!key.revokedAt && (
                      <form method="post" action={`/app/settings/keys/${key.id}/revoke`} class="inline">
                        <button
                          type="submit"
                          class="danger"
                          aria-label={`${t("settings.keys.revoke")} ${key.name}`}
                        >
                          {t("settings.keys.revoke")}
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="hint">{t("settings.keys.lastUsedUnknown")}</p>
      <h3>{t("settings.keys.create")}</h3>
      <form method="post" action="/app/settings/keys" class="stack settings-form">
        <Field t={t} form={form} id="key-name" name="name" label="settings.keys.name" required />
        <div class="field">
          <label for="key-role">{t("settings.keys.role")}</label>
          <select id="key-role" name="role">
            {ROLES.map((role) => (
              <option value={role} selected={(form.values.role ?? "viewer") === role}>
                {t(`role.${role}`)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">{t("settings.keys.createSubmit")}</button>
      </form>
    </Card>
  );
}

/** The revoke confirmation: a plain page with the key named, posting `confirmed=yes`. */
export function ConfirmRevoke({ t, apiKey: key }: { t: T; apiKey: ApiKeyInfo }) {
  return (
    <section class="card" aria-labelledby="revoke-title">
      <h2 id="revoke-title">{t("settings.keys.revokeTitle")}</h2>
      <p>
        <strong>{key.name}</strong> <code>{`${key.prefix}…`}</code>
      </p>
      <p>{t("settings.keys.revokeBody")}</p>
      <form method="post" action={`/app/settings/keys/${key.id}/revoke`} class="actions">
        <input type="hidden" name="confirmed" value="yes" />
        <button type="submit" class="danger">
          {t("settings.keys.revokeConfirm")}
        </button>
        <a href="/app/settings#settings-keys">{t("settings.keys.cancel")}</a>
      </form>
    </section>
  );
}

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
