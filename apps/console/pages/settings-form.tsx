import type { Child } from "hono/jsx";
import type { Csm } from "../../core/escalations/csms";
import type { BandPreview } from "../../core/health/band-preview";
import type { Scorecard } from "../../core/health/scorecard";
import type { ApiKeyInfo } from "../../core/workspace/api-keys";
import type { Role } from "../../core/workspace/roles";
import type { MessageKey, T } from "../i18n";

/** What every settings section shares: its form state, the card it sits in, labelled fields. */

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

export const TIERS = ["high_touch", "low_touch", "tech_touch"] as const;
export const ROLES: Role[] = ["viewer", "csm", "cs_ops", "admin"];
export const BANDS = ["red", "yellow", "green"] as const;

export function Card({
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

export type FieldProps = {
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
export function Field({
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

export function Checks({
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
