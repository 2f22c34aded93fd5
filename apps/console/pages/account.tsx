import { lifecycleStages } from "../../../db/schema/accounts";
import type { AccountPage as AccountData } from "../../core/accounts/account-page";
import { ALL_CATEGORIES } from "../../core/accounts/contact-subscriptions";
import type { HealthWithHistory } from "../../core/health/queries";
import type { Scorecard } from "../../core/health/scorecard";
import { Chart } from "../chart";
import type { Locale, MessageKey, T } from "../i18n";
import { AccountTimeline, type TimelineProps } from "./account-timeline";
import { HealthBadge } from "./accounts";
import { formatAmount, formatDay, formatShortDay, formatTime } from "./accounts-format";

const GROUPS = ["deployment", "engagement", "adoption", "roi"] as const;

type Props = {
  t: T;
  locale: Locale;
  /** The person's zone (SignedIn.timeZone): times are shown in it. */
  timeZone: string;
  data: AccountData;
  health: HealthWithHistory;
  scorecard: Scorecard;
  timeline: TimelineProps["page"];
  canChangeStage: boolean;
  notice?: string | undefined;
};

/** One account whole: summary, health with its measures and history, timeline, runs, contacts, renewals. */
export function AccountPage({
  t,
  locale,
  timeZone,
  data,
  health,
  scorecard,
  timeline,
  canChangeStage,
  notice,
}: Props) {
  const { account } = data;
  const path = `/app/accounts/${encodeURIComponent(account.externalId)}`;
  return (
    <>
      <p>
        <a href="/app/accounts">{t("account.back")}</a>
      </p>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <section class="card" aria-labelledby="account-summary">
        <h2 id="account-summary">{t("account.summary")}</h2>
        <dl class="summary">
          <dt>{t("accounts.tier")}</dt>
          <dd>{t(`accounts.tier.${account.tier}`)}</dd>
          <dt>{t("accounts.stage")}</dt>
          <dd>{t(`accounts.stage.${account.lifecycleStage}`)}</dd>
          <dt>{t("accounts.owner")}</dt>
          <dd>{account.ownerCsm ?? t("accounts.noOwner")}</dd>
          <dt>{t("accounts.arr")}</dt>
          <dd>{formatAmount(locale, account.arr) ?? "–"}</dd>
          <dt>{t("accounts.renewalDate")}</dt>
          <dd>{formatDay(locale, account.renewalDate) ?? "–"}</dd>
        </dl>
        {canChangeStage && (
          <form method="post" action={`${path}/stage`} class="inline stage-form">
            <label for="new-stage">{t("account.newStage")}</label>
            <select id="new-stage" name="stage">
              {lifecycleStages.map((s) => (
                <option value={s} selected={s === account.lifecycleStage}>
                  {t(`accounts.stage.${s}`)}
                </option>
              ))}
            </select>
            <button type="submit" class="secondary">
              {t("account.changeStage")}
            </button>
          </form>
        )}
      </section>
      <HealthSection t={t} locale={locale} timeZone={timeZone} health={health} scorecard={scorecard} />
      <Escalations t={t} locale={locale} timeZone={timeZone} data={data} />
      <section class="card" aria-labelledby="account-timeline">
        <h2 id="account-timeline">{t("account.timeline")}</h2>
        <AccountTimeline t={t} locale={locale} timeZone={timeZone} path={path} page={timeline} />
      </section>
      <Enrollments t={t} locale={locale} timeZone={timeZone} data={data} />
      <Contacts t={t} data={data} />
      <Renewals t={t} locale={locale} data={data} />
    </>
  );
}

function HealthSection({
  t,
  locale,
  timeZone,
  health,
  scorecard,
}: {
  t: T;
  locale: Locale;
  timeZone: string;
  health: HealthWithHistory;
  scorecard: Scorecard;
}) {
  const current = health.current;
  const trend = (n: number | null) => (n === null ? "–" : n > 0 ? `+${n}` : String(n));
  return (
    <section class="card" aria-labelledby="account-health">
      <h2 id="account-health">{t("account.health")}</h2>
      {!current ? (
        <p>{t("account.noHealth")}</p>
      ) : (
        <div class="health-grid">
          <div>
            <p class="health-score">
              <HealthBadge t={t} score={current.score} band={current.band} />
            </p>
            <dl class="summary">
              <dt>{t("account.computedAt")}</dt>
              <dd>{formatTime(locale, current.computedAt, timeZone)}</dd>
              <dt>{t("account.trend7")}</dt>
              <dd>{trend(current.trend.days7)}</dd>
              <dt>{t("account.trend28")}</dt>
              <dd>{trend(current.trend.days28)}</dd>
            </dl>
            <Measures t={t} current={current} scorecard={scorecard} />
          </div>
          {health.history.length > 0 && (
            <div>
              <h3>{t("account.history")}</h3>
              <Chart
                id="health-chart"
                spec={{
                  kind: "line",
                  range: [0, 100],
                  labels: health.history.map((h) => formatShortDay(locale, h.at, timeZone)),
                  series: [{ label: t("account.score"), data: health.history.map((h) => h.score) }],
                }}
                label={t("account.history")}
                table={t("account.historyTable")}
              />
            </div>
          )}
        </div>
      )}
    </section>
  );
}

/** The measures grouped by their DEAR axis, in the scorecard's order; measures it no longer has are left out. */
function Measures({
  t,
  current,
  scorecard,
}: {
  t: T;
  current: NonNullable<HealthWithHistory["current"]>;
  scorecard: Scorecard;
}) {
  const groups = GROUPS.map((group) => ({
    group,
    measures: scorecard.measures.filter((m) => m.group === group && current.measures[m.key]),
  })).filter((g) => g.measures.length > 0);
  if (groups.length === 0) return null;
  return (
    <table class="measures">
      <caption>{t("account.measures")}</caption>
      <thead>
        <tr>
          <th scope="col">{t("account.measure")}</th>
          <th scope="col" class="number">
            {t("account.score")}
          </th>
          <th scope="col" class="number">
            {t("account.value")}
          </th>
        </tr>
      </thead>
      {groups.map(({ group, measures }) => (
        <tbody>
          <tr class="measure-group">
            <th scope="colgroup" colspan={3}>
              {t(`account.group.${group}`)}
            </th>
          </tr>
          {measures.map((m) => {
            const measure = current.measures[m.key];
            return (
              <tr>
                <th scope="row">{m.label ?? m.key}</th>
                <td class="number">{measure ? Math.round(measure.score) : "–"}</td>
                <td class="number">{measure ? Number(measure.value.toFixed(2)) : "–"}</td>
              </tr>
            );
          })}
        </tbody>
      ))}
    </table>
  );
}

/** What a section of the account reads: the person's language and zone, and the account. */
type SectionProps = { t: T; locale: Locale; timeZone: string; data: AccountData };

function Escalations({ t, locale, timeZone, data }: SectionProps) {
  return (
    <section class="card" aria-labelledby="account-escalations">
      <h2 id="account-escalations">{t("account.escalations")}</h2>
      {data.openEscalations.length === 0 ? (
        <p>{t("account.noEscalations")}</p>
      ) : (
        <>
          <ul class="plain">
            {data.openEscalations.map((e) => (
              <li>
                <strong>{e.reason}</strong> · {t("account.priority")}: {t(`account.priority.${e.priority}`)} ·{" "}
                {t("account.due")}: <time datetime={e.dueAt}>{formatTime(locale, e.dueAt, timeZone)}</time>
                {e.assignee ? ` · ${t("account.assignee")}: ${e.assignee}` : ""}
              </li>
            ))}
          </ul>
          <p>
            <a href="/app/inbox">{t("account.inbox")}</a>
          </p>
        </>
      )}
    </section>
  );
}

function Enrollments({ t, locale, timeZone, data }: SectionProps) {
  return (
    <section class="card" aria-labelledby="account-enrollments">
      <h2 id="account-enrollments">{t("account.enrollments")}</h2>
      {data.enrollments.length === 0 ? (
        <p>{t("account.noEnrollments")}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("account.journey")}</th>
                <th scope="col">{t("account.status")}</th>
                <th scope="col">{t("account.currentStep")}</th>
                <th scope="col">{t("account.enteredAt")}</th>
              </tr>
            </thead>
            <tbody>
              {data.enrollments.map((e) => (
                <tr>
                  <th scope="row">
                    <a href={`/app/enrollments/${e.id}`}>{e.journey}</a>
                  </th>
                  <td>{t(`account.status.${e.status}`)}</td>
                  <td>{e.currentStep ?? "–"}</td>
                  <td>
                    <time datetime={e.enteredAt}>{formatTime(locale, e.enteredAt, timeZone)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Contacts({ t, data }: { t: T; data: AccountData }) {
  return (
    <section class="card" aria-labelledby="account-contacts">
      <h2 id="account-contacts">{t("account.contacts")}</h2>
      {data.contacts.length === 0 ? (
        <p>{t("account.noContacts")}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("accounts.name")}</th>
                <th scope="col">{t("account.email")}</th>
                <th scope="col">{t("account.role")}</th>
                <th scope="col">{t("account.subscription")}</th>
              </tr>
            </thead>
            <tbody>
              {data.contacts.map((c) => (
                <tr>
                  <th scope="row">{c.name ?? c.externalId}</th>
                  <td>{c.email}</td>
                  <td>{t(`account.role.${c.role}` as MessageKey)}</td>
                  <td>
                    {c.unsubscribed.length === 0
                      ? t("account.subscribed")
                      : c.unsubscribed.includes(ALL_CATEGORIES)
                        ? t("account.unsubscribedAll")
                        : `${t("account.unsubscribedFrom")} ${c.unsubscribed.join(", ")}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Renewals({ t, locale, data }: { t: T; locale: Locale; data: AccountData }) {
  return (
    <section class="card" aria-labelledby="account-renewals">
      <h2 id="account-renewals">{t("account.renewals")}</h2>
      {data.renewals.length === 0 ? (
        <p>{t("account.noRenewals")}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("accounts.renewalDate")}</th>
              <th scope="col">{t("account.outcome")}</th>
              <th scope="col" class="number">
                {t("account.arrBefore")}
              </th>
              <th scope="col" class="number">
                {t("account.arrAfter")}
              </th>
            </tr>
          </thead>
          <tbody>
            {data.renewals.map((r) => (
              <tr>
                <th scope="row">{formatDay(locale, r.renewalDate)}</th>
                <td>{t(`account.outcome.${r.outcome}`)}</td>
                <td class="number">{formatAmount(locale, r.arrBefore)}</td>
                <td class="number">{formatAmount(locale, r.arrAfter)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
