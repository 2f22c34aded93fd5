import type { TimelineItem, TimelinePage } from "../../core/accounts/timeline";
import type { Locale, MessageKey, T } from "../i18n";
import { formatTime } from "./accounts-format";

export type TimelineProps = { t: T; locale: Locale; timeZone: string; path: string; page: TimelinePage };

/**
 * A page of the account's timeline, newest first, and the link to the older entries: a full page
 * without script; with htmx the next page replaces the link, below the entries already shown.
 */
export function AccountTimeline({ t, locale, timeZone, path, page }: TimelineProps) {
  if (page.data.length === 0) return <p>{t("account.noTimeline")}</p>;
  const older = page.nextCursor ? `${path}?timeline=${encodeURIComponent(page.nextCursor)}` : undefined;
  return (
    <>
      <ol class="timeline">
        {page.data.map((item) => (
          <li class={`timeline-${item.type}`}>
            <time datetime={item.at}>{formatTime(locale, item.at, timeZone)}</time>{" "}
            <Entry t={t} item={item} />
          </li>
        ))}
      </ol>
      {older && page.nextCursor && (
        <p class="timeline-more">
          <a
            href={`${older}#account-timeline`}
            hx-get={`${path}/timeline?cursor=${encodeURIComponent(page.nextCursor)}`}
            hx-target="closest .timeline-more"
            hx-swap="outerHTML"
          >
            {t("account.older")}
          </a>
        </p>
      )}
    </>
  );
}

function Entry({ t, item }: { t: T; item: TimelineItem }) {
  switch (item.type) {
    case "event":
      return (
        <span>
          <strong>{t("account.event")}</strong> {item.name}
          {item.contact ? ` · ${item.contact}` : ""}
        </span>
      );
    case "touch": {
      const outcome = [
        item.opens > 0 ? `${t("account.opened")} ${item.opens}` : t("account.notOpened"),
        ...(item.clicks > 0 ? [`${t("account.clicked")} ${item.clicks}`] : []),
      ].join(" · ");
      return (
        <span>
          <strong>{t("account.touch")}</strong> {item.template} ({item.channel}, {item.journey}/{item.stepId})
          · {item.status} · {outcome}
        </span>
      );
    }
    case "stage_change":
      return (
        <span>
          <strong>{item.from ? t("account.stageChange") : t("account.createdIn")}</strong>{" "}
          {item.from ? `${t(`accounts.stage.${item.from}`)} → ` : ""}
          {t(`accounts.stage.${item.to}`)}
        </span>
      );
    case "health_change":
      return (
        <span>
          <strong>{t("account.healthChange")}</strong>{" "}
          {item.previousScore !== null ? `${item.previousScore} → ` : ""}
          {item.score} ({t(`accounts.band.${item.band}`)})
        </span>
      );
    case "escalation":
      return (
        <span>
          <strong>{t("account.escalation")}</strong> {item.reason} ·{" "}
          {known(t, `account.escalationStatus.${item.status}`, item.status)}
        </span>
      );
  }
}

/** The catalog's words for a value core may add to later, else the value itself. */
function known(t: T, key: string, value: string): string {
  return (t(key as MessageKey) as string | undefined) ?? value;
}
