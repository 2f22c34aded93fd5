import { lifecycleStages, tiers } from "../../../db/schema/accounts";
import {
  type AccountFilters,
  type AccountListPage,
  type AccountListRow,
  HEALTH_BANDS,
  RENEWAL_WINDOWS,
} from "../../core/accounts/account-list";
import type { Locale, MessageKey, T } from "../i18n";
import { formatAmount, formatDay } from "./accounts-format";

type Props = { t: T; locale: Locale; filters: AccountFilters; owners: string[]; list: AccountListPage };

/** The accounts list: a GET form of filters (it works without script; htmx swaps the results in place). */
export function AccountsPage(props: Props) {
  const { t, filters, owners } = props;
  return (
    <>
      <form
        method="get"
        action="/app/accounts"
        class="card filters"
        aria-label={t("accounts.filters")}
        hx-get="/app/accounts"
        hx-target="#account-results"
        hx-swap="outerHTML"
        hx-push-url="true"
      >
        <div>
          <label for="filter-q">{t("accounts.search")}</label>
          <input id="filter-q" name="q" type="search" maxlength={200} value={filters.q ?? ""} />
        </div>
        <Choice
          t={t}
          id="filter-tier"
          name="tier"
          label={t("accounts.tier")}
          value={filters.tier}
          options={tiers.map((v) => [v, t(`accounts.tier.${v}`)])}
        />
        <Choice
          t={t}
          id="filter-band"
          name="band"
          label={t("accounts.band")}
          value={filters.band}
          options={HEALTH_BANDS.map((v) => [v, t(`accounts.band.${v}`)])}
        />
        <Choice
          t={t}
          id="filter-stage"
          name="stage"
          label={t("accounts.stage")}
          value={filters.stage}
          options={lifecycleStages.map((v) => [v, t(`accounts.stage.${v}`)])}
        />
        <Choice
          t={t}
          id="filter-owner"
          name="owner"
          label={t("accounts.owner")}
          value={filters.owner}
          // An owner from a link that the list of owners does not hold still shows as chosen.
          options={[...new Set([...owners, ...(filters.owner ? [filters.owner] : [])])].map((v) => [v, v])}
        />
        <Choice
          t={t}
          id="filter-renewal"
          name="renewal"
          label={t("accounts.renewal")}
          value={filters.renewal}
          options={RENEWAL_WINDOWS.map((v) => [v, t(`accounts.days${v}` as MessageKey)])}
        />
        <div class="filter-actions">
          <button type="submit">{t("accounts.apply")}</button>
          <a href="/app/accounts">{t("accounts.clear")}</a>
        </div>
      </form>
      <AccountResults {...props} />
    </>
  );
}

function Choice({
  t,
  id,
  name,
  label,
  value,
  options,
}: {
  t: T;
  id: string;
  name: string;
  label: string;
  value: string | undefined;
  options: [string, string][];
}) {
  return (
    <div>
      <label for={id}>{label}</label>
      <select id={id} name={name}>
        <option value="">{t("accounts.any")}</option>
        {options.map(([v, text]) => (
          <option value={v} selected={v === value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The table and its page links: the fragment htmx swaps in after a filter or a page change. */
export function AccountResults({ t, locale, filters, list }: Props) {
  const pageOf = t("accounts.pageOf")
    .replace("{page}", String(list.page))
    .replace("{pages}", String(list.pages));
  return (
    <section id="account-results" class="card" aria-labelledby="account-count">
      <p id="account-count" role="status">
        <strong>{new Intl.NumberFormat(locale).format(list.total)}</strong>{" "}
        {t(list.total === 1 ? "accounts.countOne" : "accounts.count")} · {pageOf}
      </p>
      {list.rows.length === 0 ? (
        <p>{t("accounts.none")}</p>
      ) : (
        <div class="table-scroll">
          <table class="accounts-table">
            <thead>
              <tr>
                <th scope="col">{t("accounts.name")}</th>
                <th scope="col">{t("accounts.tier")}</th>
                <th scope="col">{t("accounts.stage")}</th>
                <th scope="col">{t("accounts.health")}</th>
                <th scope="col" class="number">
                  {t("accounts.arr")}
                </th>
                <th scope="col">{t("accounts.owner")}</th>
                <th scope="col">{t("accounts.renewalDate")}</th>
              </tr>
            </thead>
            <tbody>
              {list.rows.map((row) => (
                <AccountRow t={t} locale={locale} row={row} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager t={t} filters={filters} list={list} />
    </section>
  );
}

function AccountRow({ t, locale, row }: { t: T; locale: Locale; row: AccountListRow }) {
  return (
    <tr>
      <th scope="row">
        <a href={`/app/accounts/${encodeURIComponent(row.externalId)}`}>{row.name}</a>
      </th>
      <td>{t(`accounts.tier.${row.tier}`)}</td>
      <td>{t(`accounts.stage.${row.lifecycleStage}`)}</td>
      <td>
        <HealthBadge t={t} score={row.healthScore} band={row.healthBand} />
      </td>
      <td class="number">{formatAmount(locale, row.arr) ?? "–"}</td>
      <td>{row.ownerCsm ?? t("accounts.noOwner")}</td>
      <td>{formatDay(locale, row.renewalDate) ?? "–"}</td>
    </tr>
  );
}

/** A score with its band in words (the colour only repeats what the words say). */
export function HealthBadge({
  t,
  score,
  band,
}: {
  t: T;
  score: number | null;
  band: "red" | "yellow" | "green" | null;
}) {
  if (score === null || !band) return <span class="band band-none">{t("accounts.noScore")}</span>;
  return (
    <span class={`band band-${band}`}>
      {score} · {t(`accounts.band.${band}`)}
    </span>
  );
}

/** The query string of these filters at `page`: links keep the filters. */
export function filtersQuery(filters: AccountFilters, page: number): string {
  const params = new URLSearchParams();
  for (const key of ["q", "tier", "band", "stage", "owner", "renewal"] as const) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  if (page > 1) params.set("page", String(page));
  const query = params.toString();
  return query ? `?${query}` : "";
}

function Pager({ t, filters, list }: { t: T; filters: AccountFilters; list: AccountListPage }) {
  if (list.pages <= 1 && list.page === 1) return null;
  const link = (page: number, label: string, rel: string) => {
    const href = `/app/accounts${filtersQuery(filters, page)}`;
    return (
      <a
        href={href}
        rel={rel}
        hx-get={href}
        hx-target="#account-results"
        hx-swap="outerHTML"
        hx-push-url="true"
      >
        {label}
      </a>
    );
  };
  return (
    <nav class="pager" aria-label={t("accounts.pages")}>
      {list.page > 1 && link(Math.min(list.page - 1, list.pages), t("accounts.previous"), "prev")}
      {list.page < list.pages && link(list.page + 1, t("accounts.next"), "next")}
    </nav>
  );
}
