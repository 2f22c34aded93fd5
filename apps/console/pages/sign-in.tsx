import type { T } from "../i18n";

/** The sign-in form; `error` and `notice` are shown above it. */
export function SignInForm({
  t,
  email,
  error,
  notice,
}: {
  t: T;
  email?: string;
  error?: string;
  notice?: string;
}) {
  return (
    <div class="card">
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form method="post" action="/app/sign-in" class="stack">
        <div>
          <label for="email">{t("signIn.email")}</label>
          <input id="email" name="email" type="email" autocomplete="username" required value={email ?? ""} />
        </div>
        <div>
          <label for="password">{t("signIn.password")}</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
        </div>
        <button type="submit">{t("signIn.submit")}</button>
      </form>
      <p>
        <a href="/app/reset-password">{t("reset.link")}</a>
      </p>
    </div>
  );
}

export function SetPasswordForm({ t, token, error }: { t: T; token: string; error?: string }) {
  return (
    <div class="card">
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <form method="post" action="/app/set-password" class="stack">
        <input type="hidden" name="token" value={token} />
        <div>
          <label for="password">{t("setPassword.password")}</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="new-password"
            minlength={12}
            required
            aria-describedby="password-hint"
          />
          <p id="password-hint">{t("setPassword.hint")}</p>
        </div>
        <button type="submit">{t("setPassword.submit")}</button>
      </form>
    </div>
  );
}
