import type { UpcomingRenewal } from "../../core/accounts/upcoming-renewals";
import type { OpenEscalation } from "../../core/escalations/deadlines";
import type { BandSummary } from "../../core/health/band-summary";
import { Chart } from "../chart";
import { type Format, fill } from "../format";
import type { T } from "../i18n";

/** The escalations part: a CSM's own, or the workspace's for everyone else. */
export type EscalationsView =
  | { kind: "mine"; list: OpenEscalation[]; shown: number; timeZone: string }
  | {
      kind: "all";
      counts: { tier: OpenEscalation["account"]["tier"]; open: number; breached: number }[];
      nearest: OpenEscalation[];
      timeZone: string;
    };

export type RetentionView = { quarters: string[]; grr: (number | null)[]; nrr: (number | null)[] } | null;

type HomeProps = {
  t: T;
  f: Format;
  now: Date;
  escalations: EscalationsView;
  bands: BandSummary;
  renewals: { total: number; renewals: UpcomingRenewal[] };
  retention: RetentionView;
};

/** The signed-in landing page: what needs you, how the book of accounts is, what renews, how retention goes. */
export function Home({ t, f, now, escalations, bands, renewals, retention }: HomeProps) {
  return (
    <div class="home">
      {escalations.kind === "mine" ? (
        <MyEscalations
          t={t}
          f={f}
          now={now}
          list={escalations.list}
          shown={escalations.shown}
          timeZone={escalations.timeZone}
        />
      ) : (
        <AllEscalations
          t={t}
          f={f}
          now={now}
          counts={escalations.counts}
          nearest={escalations.nearest}
          timeZone={escalations.timeZone}
        />
      )}
      <Bands t={t} f={f} bands={bands} />
      <Renewals t={t} f={f} {...renewals} />
      <Retention t={t} retention={retention} />
    </div>
  );
}

function MyEscalations({
  t,
  f,
  now,
  list,
  shown,
  timeZone,
}: {
  t: T;
  f: Format;
  now: Date;
  /** Up to one more than `shown`: the extra one says there are more. */
  list: OpenEscalation[];
  shown: number;
  timeZone: string;
}) {
  return (
    <section class="card" aria-labelledby="home-mine">
      <h2 id="home-mine">{t("home.mine.title")}</h2>
      {list.length === 0 ? (
        <p>{t("home.mine.none")}</p>
      ) : (
        <>
          <p class="muted">
            {t("home.esc.timezone")} {timeZone}
          </p>
          <EscalationTable t={t} f={f} now={now} list={list.slice(0, shown)} owner={false} />
          {list.length > shown && <p>{fill(t("home.mine.more"), { shown: f.number(shown) })}</p>}
        </>
      )}
      <p>
        <a href="/app/inbox">{t("home.esc.inbox")}</a>
      </p>
    </section>
  );
}

function AllEscalations({
  t,
  f,
  now,
  counts,
  nearest,
  timeZone,
}: {
  t: T;
  f: Format;
  now: Date;
  counts: { tier: OpenEscalation["account"]["tier"]; open: number; breached: number }[];
  nearest: OpenEscalation[];
  timeZone: string;
}) {
  return (
    <section class="card" aria-labelledby="home-all">
      <h2 id="home-all">{t("home.all.title")}</h2>
      {counts.length === 0 ? (
        <p>{t("home.all.none")}</p>
      ) : (
        <>
          <p class="muted">
            {t("home.esc.timezone")} {timeZone}
          </p>
          <table>
            <caption>{t("home.all.byTier")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("home.tier")}</th>
                <th scope="col" class="num">
                  {t("home.esc.open")}
                </th>
                <th scope="col" class="num">
                  {t("home.esc.breached")}
                </th>
              </tr>
            </thead>
            <tbody>
              {counts.map((c) => (
                <tr>
                  <th scope="row">{t(`home.tier.${c.tier}`)}</th>
                  <td class="num">{f.number(c.open)}</td>
                  <td class="num">{f.number(c.breached)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>{t("home.all.nearest")}</h3>
          <EscalationTable t={t} f={f} now={now} list={nearest} owner={true} />
        </>
      )}
      <p>
        <a href="/app/inbox">{t("home.esc.inbox")}</a>
      </p>
    </section>
  );
}

function EscalationTable({
  t,
  f,
  now,
  list,
  owner,
}: {
  t: T;
  f: Format;
  now: Date;
  list: OpenEscalation[];
  owner: boolean;
}) {
  return (
    <table class="escalations">
      <thead>
        <tr>
          <th scope="col">{t("home.esc.account")}</th>
          <th scope="col">{t("home.esc.reason")}</th>
          <th scope="col">{t("home.esc.priority")}</th>
          {owner && <th scope="col">{t("home.esc.assignee")}</th>}
          <th scope="col">{t("home.esc.due")}</th>
        </tr>
      </thead>
      <tbody>
        {list.map((e) => {
          return (
            <tr class={e.breached ? "breached" : undefined}>
              <th scope="row">
                <a href="/app/inbox">{e.account.name}</a>
              </th>
              <td>{e.reason}</td>
              <td>{t(`home.priority.${e.priority}`)}</td>
              {owner && <td>{e.assignee ?? t("home.esc.unassigned")}</td>}
              <td>
                <span class="due-left">{f.until(e.dueAt, now)}</span>{" "}
                {e.breached && <span class="badge badge-breached">{t("home.esc.breached")}</span>}
                <br />
                <time class="muted" datetime={e.dueAt.toISOString()}>
                  {f.time(e.dueAt)}
                </time>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Bands({ t, f, bands }: { t: T; f: Format; bands: BandSummary }) {
  return (
    <section class="card" aria-labelledby="home-bands">
      <h2 id="home-bands">{t("home.bands.title")}</h2>
      <table class="bands">
        <thead>
          <tr>
            <th scope="col">{t("home.bands.band")}</th>
            <th scope="col" class="num">
              {t("home.bands.now")}
            </th>
            <th scope="col" class="num">
              {t("home.bands.before")}
            </th>
            <th scope="col" class="num">
              {t("home.bands.change")}
            </th>
          </tr>
        </thead>
        <tbody>
          {bands.map((b) => (
            <tr>
              <th scope="row">
                <span class={`dot dot-${b.band}`} aria-hidden="true" />
                <a href={`/app/accounts?band=${b.band}`}>{t(`home.band.${b.band}`)}</a>
              </th>
              <td class="num">{f.number(b.now)}</td>
              <td class="num">{f.number(b.before)}</td>
              <td class="num">{f.change(b.now - b.before)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Renewals({
  t,
  f,
  total,
  renewals,
}: {
  t: T;
  f: Format;
  total: number;
  renewals: UpcomingRenewal[];
}) {
  return (
    <section class="card" aria-labelledby="home-renewals">
      <h2 id="home-renewals">{t("home.renewals.title")}</h2>
      {total === 0 ? (
        <p>{t("home.renewals.none")}</p>
      ) : (
        <>
          <p>
            {fill(t("home.renewals.total"), { total: f.number(total) })}
            {total > renewals.length &&
              ` ${fill(t("home.renewals.shown"), { shown: f.number(renewals.length) })}`}
          </p>
          <table class="renewals">
            <thead>
              <tr>
                <th scope="col">{t("home.renewals.account")}</th>
                <th scope="col">{t("home.renewals.date")}</th>
                <th scope="col" class="num">
                  {t("home.renewals.arr")}
                </th>
                <th scope="col">{t("home.renewals.health")}</th>
              </tr>
            </thead>
            <tbody>
              {renewals.map((r) => (
                <tr>
                  <th scope="row">
                    <a href={`/app/accounts/${encodeURIComponent(r.externalId)}`}>{r.name}</a>
                  </th>
                  <td>
                    <time datetime={r.renewalDate}>{f.day(r.renewalDate)}</time>
                  </td>
                  <td class="num">{r.arr === null ? "–" : f.amount(r.arr)}</td>
                  <td>
                    <span class={`dot dot-${r.healthBand ?? "unscored"}`} aria-hidden="true" />
                    {r.healthScore === null
                      ? t("home.band.unscored")
                      : `${f.number(r.healthScore)} · ${t(`home.band.${r.healthBand ?? "unscored"}`)}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function Retention({ t, retention }: { t: T; retention: RetentionView }) {
  return (
    <section class="card" aria-labelledby="home-retention">
      <h2 id="home-retention">{t("home.retention.title")}</h2>
      {retention === null ? (
        <p>{t("home.retention.none")}</p>
      ) : (
        <Chart
          id="retention-chart"
          spec={{
            kind: "line",
            percent: true,
            labels: retention.quarters,
            series: [
              { label: t("home.retention.grr"), data: retention.grr },
              { label: t("home.retention.nrr"), data: retention.nrr },
            ],
          }}
          label={t("home.retention.chart")}
          table={t("home.retention.table")}
        />
      )}
    </section>
  );
}
