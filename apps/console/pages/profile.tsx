import type { Csm } from "../../core/escalations/csms";
import type { SignedIn } from "../../core/workspace/sessions";
import type { Locale, T } from "../i18n";

/** A line above a section's form: what went wrong (alert) or what was saved (status). */
export type Said = { error?: string | undefined; notice?: string | undefined };

/** Every IANA zone this runtime knows, plus `current` when it is a valid alias the list leaves out. */
export function timeZones(current: string | null): string[] {
  const zones = Intl.supportedValuesOf("timeZone");
  return current && !zones.includes(current) ? [current, ...zones] : zones;
}

/** A CSM record as the profile shows it: its time zone falls back to the workspace's default. */
export type CsmView = { csm: Csm; defaultZone: string };

/** The signed-in person's page: who they are, their name and language, their CSM emails, password, browsers. */
export function ProfilePage({
  t,
  locale,
  user,
  csm,
  now,
  details = {},
  csmSaid = {},
  passwordSaid = {},
}: {
  t: T;
  locale: Locale;
  user: SignedIn;
  csm: CsmView | null;
  now: Date;
  details?: Said;
  csmSaid?: Said;
  passwordSaid?: Said;
}) {
  return (
    <div class="profile">
      <section class="card" aria-labelledby="profile-who">
        <h2 id="profile-who">{t("profile.who")}</h2>
        <dl class="profile-facts">
          <dt>{t("profile.name")}</dt>
          <dd>{user.name}</dd>
          <dt>{t("profile.email")}</dt>
          <dd>{user.email}</dd>
          <dt>{t("profile.role")}</dt>
          <dd>{t(`role.${user.role}`)}</dd>
          <dt>{t("profile.workspace")}</dt>
          <dd>{user.workspace}</dd>
        </dl>
      </section>
      <DetailsSection t={t} locale={locale} user={user} said={details} />
      {csm && <CsmSection t={t} locale={locale} view={csm} now={now} said={csmSaid} />}
      <PasswordSection t={t} said={passwordSaid} />
      <section class="card" aria-labelledby="profile-sessions">
        <h2 id="profile-sessions">{t("profile.sessions")}</h2>
        <p>{t("profile.sessionsIntro")}</p>
        <form method="post" action="/app/sign-out-everywhere">
          <button type="submit" class="danger">
            {t("signOutEverywhere")}
          </button>
        </form>
      </section>
    </div>
  );
}

function SaidLines({ said }: { said: Said }) {
  return (
    <>
      {said.error && (
        <p class="error" role="alert">
          {said.error}
        </p>
      )}
      {said.notice && (
        <p class="notice" role="status">
          {said.notice}
        </p>
      )}
    </>
  );
}

/** Name and console language: a plain form, as a new language redraws the whole page. */
function DetailsSection({ t, locale, user, said }: { t: T; locale: Locale; user: SignedIn; said: Said }) {
  return (
    <section class="card" id="profile-details" aria-labelledby="profile-details-title">
      <h2 id="profile-details-title">{t("profile.details")}</h2>
      <SaidLines said={said} />
      <form method="post" action="/app/profile" class="stack">
        <div>
          <label for="profile-name">{t("profile.name")}</label>
          <input
            id="profile-name"
            name="name"
            required
            maxlength={200}
            value={user.name}
            autocomplete="name"
          />
        </div>
        <div>
          <label for="profile-language">{t("profile.language")}</label>
          <select id="profile-language" name="locale">
            <option value="en" selected={locale === "en"} lang="en">
              English
            </option>
            <option value="ja" selected={locale === "ja"} lang="ja">
              日本語
            </option>
          </select>
        </div>
        <button type="submit">{t("profile.save")}</button>
      </form>
    </section>
  );
}

/** The CSM record's language and time zone; htmx swaps the section in place, without script it posts. */
export function CsmSection({
  t,
  locale,
  view,
  now,
  said = {},
}: {
  t: T;
  locale: Locale;
  view: CsmView;
  now: Date;
  said?: Said;
}) {
  const { csm, defaultZone } = view;
  const zone = csm.timezone ?? undefined;
  const time = new Intl.DateTimeFormat(locale, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZone: zone ?? defaultZone,
    timeZoneName: "short",
  }).format(now);
  return (
    <section class="card" id="profile-csm" aria-labelledby="profile-csm-title">
      <h2 id="profile-csm-title">{t("profile.csm")}</h2>
      <p>{t("profile.csmIntro")}</p>
      <SaidLines said={said} />
      <form
        method="post"
        action="/app/profile/csm"
        class="stack"
        hx-post="/app/profile/csm"
        hx-target="#profile-csm"
        hx-swap="outerHTML"
      >
        <div>
          <label for="profile-timezone">{t("profile.timezone")}</label>
          <select id="profile-timezone" name="timezone" aria-describedby="profile-timezone-hint">
            <option value="" selected={!zone}>
              {`${t("profile.timezoneDefault")} (${defaultZone})`}
            </option>
            {timeZones(csm.timezone).map((tz) => (
              <option value={tz} selected={tz === zone}>
                {tz}
              </option>
            ))}
          </select>
          <p id="profile-timezone-hint" class="hint">
            {t("profile.timezoneHint")}
          </p>
        </div>
        <div>
          <label for="profile-csm-language">{t("profile.csmLanguage")}</label>
          <select id="profile-csm-language" name="locale">
            <option value="en" selected={csm.locale !== "ja"} lang="en">
              English
            </option>
            <option value="ja" selected={csm.locale === "ja"} lang="ja">
              日本語
            </option>
          </select>
        </div>
        <button type="submit">{t("profile.csmSave")}</button>
      </form>
      <p>
        {t("profile.now")}: <time datetime={now.toISOString()}>{time}</time>
      </p>
    </section>
  );
}

/** Current and new password; htmx swaps the section in place, without script it posts. */
export function PasswordSection({ t, said = {} }: { t: T; said?: Said }) {
  return (
    <section class="card" id="profile-password" aria-labelledby="profile-password-title">
      <h2 id="profile-password-title">{t("profile.password")}</h2>
      <SaidLines said={said} />
      <form
        method="post"
        action="/app/profile/password"
        class="stack"
        hx-post="/app/profile/password"
        hx-target="#profile-password"
        hx-swap="outerHTML"
      >
        {/* Labels wrap their inputs, which carry no id: htmx's settle copies attributes between old and new
            elements of one id, and Chromium's autofill leaves style="" on filled inputs (a CSP violation). */}
        <label class="wrapping">
          {t("profile.currentPassword")}
          <input name="current" type="password" autocomplete="current-password" required />
        </label>
        <div>
          <label class="wrapping">
            {t("profile.newPassword")}
            <input
              name="password"
              type="password"
              autocomplete="new-password"
              minlength={12}
              maxlength={200}
              required
              aria-describedby="profile-new-password-hint"
            />
          </label>
          <p id="profile-new-password-hint" class="hint">
            {t("profile.passwordHint")}
          </p>
        </div>
        <button type="submit">{t("profile.passwordSubmit")}</button>
      </form>
    </section>
  );
}
