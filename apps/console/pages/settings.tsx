import type { Locale, MessageKey, T } from "../i18n";
import { timeZones } from "./profile";
import { Card, Checks, Field, type FieldProps, SECTIONS, type SettingsView } from "./settings-form";
import { CsmsSection, KeysSection } from "./settings-people";
import { ScorecardSection } from "./settings-scorecard";

export { type FormState, SECTIONS, type Section, type SettingsView } from "./settings-form";
export { ConfirmRevoke } from "./settings-people";
export { ScorecardSection } from "./settings-scorecard";

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
