import type { JourneyOverview } from "../../core/journeys/overview";
import type { Locale, T } from "../i18n";
import { formatTime } from "./accounts-format";

export const formatRate = (locale: Locale, rate: number | null) =>
  rate === null
    ? "–"
    : new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(rate);

/** Every journey with what it did, and a way to start one from a shipped playbook. */
export function JourneysPage({
  t,
  locale,
  timeZone,
  journeys,
  playbooks,
  canEdit,
  error,
}: {
  t: T;
  locale: Locale;
  /** The person's zone (SignedIn.timeZone). */
  timeZone: string;
  journeys: JourneyOverview[];
  playbooks: { key: string; name: string }[];
  canEdit: boolean;
  error?: string;
}) {
  const number = new Intl.NumberFormat(locale);
  return (
    <>
      {journeys.length === 0 ? (
        <p>{t("journeys.empty")}</p>
      ) : (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("journeys.name")}</th>
                <th scope="col">{t("journeys.status")}</th>
                <th scope="col">{t("journeys.live")}</th>
                <th scope="col" class="num">
                  {t("journeys.inJourney")}
                </th>
                <th scope="col" class="num">
                  {t("journeys.completed")}
                </th>
                <th scope="col" class="num">
                  {t("journeys.goalRate")}
                </th>
                <th scope="col">{t("journeys.lastPublish")}</th>
              </tr>
            </thead>
            <tbody>
              {journeys.map((j) => (
                <tr>
                  <th scope="row">
                    <a href={`/app/journeys/${encodeURIComponent(j.key)}`}>{j.name}</a>
                    <div class="muted">{j.key}</div>
                  </th>
                  <td>
                    <span class={`badge status-${j.status}`}>{t(`journey.status.${j.status}`)}</span>
                  </td>
                  <td>{j.liveVersion === null ? "–" : `v${j.liveVersion}`}</td>
                  <td class="num">{number.format(j.inJourney)}</td>
                  <td class="num">{number.format(j.completed)}</td>
                  <td class="num">{formatRate(locale, j.goalRate)}</td>
                  <td>
                    {j.lastPublishedAt
                      ? formatTime(locale, j.lastPublishedAt, timeZone)
                      : t("journeys.never")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canEdit && (
        <section class="card" aria-labelledby="create">
          <h2 id="create">{t("journeys.create")}</h2>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <form method="post" action="/app/journeys" class="stack">
            <label for="playbook">{t("journeys.playbook")}</label>
            <select id="playbook" name="playbook" required>
              {playbooks.map((p) => (
                <option value={p.key}>{p.name}</option>
              ))}
            </select>
            <label for="key">{t("journeys.key")}</label>
            <input id="key" name="key" pattern="[a-z0-9][a-z0-9-]*" aria-describedby="key-hint" />
            <small id="key-hint">{t("journeys.keyHint")}</small>
            <button type="submit">{t("journeys.createSubmit")}</button>
          </form>
        </section>
      )}
    </>
  );
}
