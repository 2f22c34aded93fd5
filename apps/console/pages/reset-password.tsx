import type { T } from "../i18n";
import type { Said } from "./profile";

/** "Forgot your password?": the email to mail a reset link to. */
export function ResetRequestForm({ t, email, said = {} }: { t: T; email?: string; said?: Said }) {
  return (
    <div class="card profile">
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
      <p>{t("reset.intro")}</p>
      <form method="post" action="/app/reset-password" class="stack">
        <div>
          <label for="reset-email">{t("reset.email")}</label>
          <input
            id="reset-email"
            name="email"
            type="email"
            autocomplete="username"
            required
            maxlength={320}
            value={email ?? ""}
          />
        </div>
        <button type="submit">{t("reset.submit")}</button>
      </form>
      <p>
        <a href="/app/sign-in">{t("signIn.title")}</a>
      </p>
    </div>
  );
}

/** The mailed link's page: a new password. */
export function NewPasswordForm({ t, token, error }: { t: T; token: string; error?: string }) {
  return (
    <div class="card profile">
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <form method="post" action="/app/reset-password/new" class="stack">
        <input type="hidden" name="token" value={token} />
        <div>
          <label for="reset-password">{t("reset.password")}</label>
          <input
            id="reset-password"
            name="password"
            type="password"
            autocomplete="new-password"
            minlength={12}
            maxlength={200}
            required
            aria-describedby="reset-password-hint"
          />
          <p id="reset-password-hint" class="hint">
            {t("reset.hint")}
          </p>
        </div>
        <button type="submit">{t("reset.save")}</button>
      </form>
    </div>
  );
}

/** A reset link that is used up, expired, or never was. */
export function ResetExpired({ t }: { t: T }) {
  return (
    <div class="card profile">
      <p class="error" role="alert">
        {t("reset.expired")}
      </p>
      <p>
        <a href="/app/reset-password">{t("reset.again")}</a>
      </p>
    </div>
  );
}
