import type { ApiKeyInfo } from "../../core/workspace/api-keys";
import { formatter } from "../format";
import type { Locale, T } from "../i18n";
import { timeZones } from "./profile";
import { Card, Checks, Field, ROLES, type SettingsView, TIERS } from "./settings-form";

/** The people sections of the settings: CSMs with their capacity and load, and API keys. */

export function CsmsSection({ t, view }: { t: T; view: SettingsView }) {
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

export function KeysSection({
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
