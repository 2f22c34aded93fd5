import type { SignedIn } from "../../core/workspace/sessions";
import type { T } from "../i18n";

/** The signed-in landing page: who, which role, which workspace, and where the API is documented. */
export function Home({ t, user, notice }: { t: T; user: SignedIn; notice?: string }) {
  return (
    <>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <section class="card" aria-labelledby="who">
        <h2 id="who">{t("home.signedInAs")}</h2>
        <dl>
          <dt>{t("users.name")}</dt>
          <dd>{user.name}</dd>
          <dt>{t("users.email")}</dt>
          <dd>{user.email}</dd>
          <dt>{t("home.role")}</dt>
          <dd>{t(`role.${user.role}`)}</dd>
          <dt>{t("home.workspace")}</dt>
          <dd>{user.workspace}</dd>
        </dl>
        <form method="post" action="/app/sign-out-everywhere" class="inline">
          <button type="submit" class="secondary">
            {t("signOutEverywhere")}
          </button>
        </form>
      </section>
      <section class="card" aria-labelledby="api">
        <h2 id="api">{t("home.api")}</h2>
        <ul>
          <li>
            <a href="/docs">{t("home.apiDocs")}</a>
          </li>
          <li>
            <a href="/openapi.json">{t("home.openapi")}</a>
          </li>
        </ul>
      </section>
    </>
  );
}
