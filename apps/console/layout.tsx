import type { Child } from "hono/jsx";
import { roleAtLeast } from "../core/workspace/roles";
import type { SignedIn } from "../core/workspace/sessions";
import type { Locale, T } from "./i18n";

type Page = {
  t: T;
  locale: Locale;
  title: string;
  user?: SignedIn | undefined;
  path: string;
  /** The path with its query, where a language switch comes back to; default `path`. */
  here?: string;
  children: Child;
};

/** Every console page: skip link, header with the workspace and navigation, one main landmark, the language switch. */
export function Layout({ t, locale, title, user, path, here, children }: Page) {
  return (
    <html lang={locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {/* htmx's own inline indicator styles would need 'unsafe-inline' in the CSP. */}
        <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false}' />
        <title>{`${title} · ${t("app.name")}`}</title>
        <link rel="stylesheet" href="/app/static/console.css" />
        <script src="/app/static/htmx.min.js" defer />
        <script src="/app/static/chart.umd.min.js" defer />
        <script src="/app/static/charts.js" defer />
      </head>
      <body>
        <a class="skip" href="#main">
          {t("skip")}
        </a>
        <header class="bar">
          <span class="workspace">{user ? user.workspace : t("app.name")}</span>
          {user && (
            <nav aria-label={t("nav.label")}>
              <ul>
                <NavLink href="/app" path={path} label={t("nav.home")} />
                <NavLink href="/app/inbox" path={path} label={t("nav.inbox")} />
                <NavLink href="/app/accounts" path={path} label={t("nav.accounts")} />
                <NavLink href="/app/journeys" path={path} label={t("nav.journeys")} />
                <NavLink href="/app/templates" path={path} label={t("nav.templates")} />
                {user.role === "admin" && <NavLink href="/app/users" path={path} label={t("nav.users")} />}
                {roleAtLeast(user.role, "cs_ops") && (
                  <NavLink href="/app/settings" path={path} label={t("nav.settings")} />
                )}
                <li>
                  <a href="/docs">{t("nav.apiDocs")}</a>
                </li>
              </ul>
            </nav>
          )}
          <LanguageSwitch t={t} locale={locale} here={here ?? path} />
          {user && (
            <a href="/app/profile" aria-current={path === "/app/profile" ? "page" : undefined}>
              {t("nav.profile")}
            </a>
          )}
          {user && (
            <form method="post" action="/app/sign-out" class="inline">
              <button type="submit" class="secondary">
                {t("signOut")}
              </button>
            </form>
          )}
        </header>
        <main id="main" tabindex={-1}>
          <h1>{title}</h1>
          {children}
        </main>
      </body>
    </html>
  );
}

/** A navigation entry, marked current on its page and the pages under it. */
function NavLink({ href, path, label }: { href: string; path: string; label: string }) {
  const current = path === href || (href !== "/app" && path.startsWith(`${href}/`));
  return (
    <li>
      <a href={href} aria-current={current ? "page" : undefined}>
        {label}
      </a>
    </li>
  );
}

/**
 * Where the language switch returns. A list that htmx filters in place (and whose URL it pushes)
 * sends this again out of band with its rows, so the switch keeps the filters shown.
 */
export function LanguageReturn({ here, swap }: { here: string; swap?: boolean }) {
  return (
    <input
      type="hidden"
      id="language-next"
      name="next"
      value={here}
      hx-swap-oob={swap ? "true" : undefined}
    />
  );
}

function LanguageSwitch({ t, locale, here }: { t: T; locale: Locale; here: string }) {
  return (
    <form method="post" action="/app/language" class="inline">
      <LanguageReturn here={here} />
      <label for="language">{t("language.label")}</label>
      <select id="language" name="locale">
        <option value="en" selected={locale === "en"} lang="en">
          English
        </option>
        <option value="ja" selected={locale === "ja"} lang="ja">
          日本語
        </option>
      </select>
      <button type="submit" class="secondary">
        {t("language.switch")}
      </button>
    </form>
  );
}
