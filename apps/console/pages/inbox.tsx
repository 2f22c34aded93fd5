import { escalationPriorities, tiers } from "../../../db/schema/index";
import { type InboxItem, type InboxStatus, inboxSorts, inboxStatuses } from "../../core/escalations/inbox";
import { EscalationCard, type RowContext } from "./inbox-row";

/** The inbox view as the filter form shows it: every field resolved to a value (defaults applied). */
export type InboxView = {
  status: InboxStatus;
  priority: (typeof escalationPriorities)[number] | "any";
  tier: (typeof tiers)[number] | "any";
  /** `mine`, `none`, `all` or a CSM's email. */
  owner: string;
  sort: (typeof inboxSorts)[number];
};

/** The view as a query string: a filtered inbox is a link. */
export function viewQuery(view: InboxView): string {
  return new URLSearchParams(Object.entries(view)).toString();
}

/**
 * The CSM's inbox: a GET form of filters (htmx swaps the list and pushes the URL; without script it
 * loads the page), then the list, which htmx polls so new escalations appear without a reload.
 */
export function InboxPage({
  ctx,
  view,
  items,
  version,
  isCsm,
  error,
}: {
  ctx: RowContext;
  view: InboxView;
  items: InboxItem[];
  version: string;
  isCsm: boolean;
  error?: string;
}) {
  const { t } = ctx;
  return (
    <>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <form
        method="get"
        action="/app/inbox"
        class="card filters"
        aria-label={t("inbox.filters")}
        hx-get="/app/inbox"
        hx-target="#inbox-rows"
        hx-swap="outerHTML"
        hx-push-url="true"
      >
        <Select
          id="f-status"
          name="status"
          label={t("inbox.status")}
          value={view.status}
          options={inboxStatuses.map((s) => [s, t(`inbox.status.${s}`)])}
        />
        <Select
          id="f-priority"
          name="priority"
          label={t("inbox.priority")}
          value={view.priority}
          options={[
            ["any", t("inbox.priority.any")],
            ...escalationPriorities.map((p) => [p, t(`inbox.priority.${p}`)]),
          ]}
        />
        <Select
          id="f-tier"
          name="tier"
          label={t("inbox.tier")}
          value={view.tier}
          options={[["any", t("inbox.tier.any")], ...tiers.map((x) => [x, t(`inbox.tier.${x}`)])]}
        />
        <Select
          id="f-owner"
          name="owner"
          label={t("inbox.owner")}
          value={view.owner}
          options={[
            ["all", t("inbox.owner.all")],
            ...(isCsm ? [["mine", t("inbox.owner.mine")]] : []),
            ["none", t("inbox.owner.none")],
            ...ctx.csms.map((c) => [c.email, c.name ? `${c.name} (${c.email})` : c.email]),
            // A link may name someone who is no active CSM (any more): the select still says so.
            ...(view.owner.includes("@") && !ctx.csms.some((c) => c.email === view.owner)
              ? [[view.owner, view.owner]]
              : []),
          ]}
        />
        <Select
          id="f-sort"
          name="sort"
          label={t("inbox.sort")}
          value={view.sort}
          options={inboxSorts.map((s) => [s, t(`inbox.sort.${s}`)])}
        />
        <button type="submit">{t("inbox.apply")}</button>
      </form>
      <p class="hint">
        {t("inbox.timesIn")} {ctx.reading.timeZone}
      </p>
      {/* hx-history="false": no snapshot of customers' data in localStorage (and no clone of the drawn charts). */}
      <section id="inbox-list" aria-labelledby="inbox-list-title" aria-live="polite" hx-history="false">
        <h2 id="inbox-list-title" class="visually-hidden">
          {t("inbox.list")}
        </h2>
        <InboxRows ctx={ctx} view={view} items={items} version={version} />
      </section>
    </>
  );
}

/**
 * The list, polled every 5 seconds with the same filters; `v` is what the list was, so an unchanged
 * list answers 204 and htmx leaves the page (and a half-written resolution) alone.
 */
export function InboxRows({
  ctx,
  view,
  items,
  version,
}: {
  ctx: RowContext;
  view: InboxView;
  items: InboxItem[];
  version: string;
}) {
  const { t } = ctx;
  return (
    <div
      id="inbox-rows"
      hx-get={`/app/inbox?${viewQuery(view)}&v=${version}`}
      hx-trigger="every 5s"
      hx-swap="outerHTML"
    >
      <p class="count">
        {t("inbox.count")} {items.length}
      </p>
      {items.length === 0 && <p>{t("inbox.empty")}</p>}
      {items.map((item) => (
        <EscalationCard ctx={ctx} item={item} />
      ))}
    </div>
  );
}

function Select({
  id,
  name,
  label,
  value,
  options,
}: {
  id: string;
  name: string;
  label: string;
  value: string;
  options: string[][];
}) {
  return (
    <div>
      <label for={id}>{label}</label>
      <select id={id} name={name}>
        {options.map(([v, text]) => (
          <option value={v} selected={v === value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}
