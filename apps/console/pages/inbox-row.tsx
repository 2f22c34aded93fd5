import type { InboxItem } from "../../core/escalations/inbox";
import { Chart } from "../chart";
import type { T } from "../i18n";
import { amount, calendarDate, fromNow, instant, type Reading, shortDate } from "./inbox-format";

/** Who may be chosen when reassigning. */
export type CsmChoice = { email: string; name: string | null };

/** What one escalation card needs besides the escalation. */
export type RowContext = {
  t: T;
  reading: Reading;
  /** csm and above: the action forms are shown. */
  canAct: boolean;
  csms: CsmChoice[];
  /** The inbox view to come back to after an action without script. */
  back: string;
};

/**
 * One escalation: the account and what a CSM needs to judge it, its SLA, and the actions. Each form
 * posts normally without script; with htmx the card is swapped in place.
 */
export function EscalationCard({
  ctx,
  item,
  error,
  notice,
}: {
  ctx: RowContext;
  item: InboxItem;
  error?: string;
  notice?: string;
}) {
  const { t, reading } = ctx;
  const id = `esc-${item.id}`;
  const a = item.account;
  return (
    <article
      id={id}
      class={`card escalation${item.breached ? " breached" : ""}`}
      aria-labelledby={`${id}-name`}
    >
      <header class="escalation-head">
        <h3 id={`${id}-name`}>
          <a href={`/app/accounts/${encodeURIComponent(a.externalId)}`}>{a.name}</a>
        </h3>
        <span class={`badge priority-${item.priority}`}>{t(`inbox.priority.${item.priority}`)}</span>
        <span class="badge">{t(`inbox.status.${item.status}`)}</span>
        {item.breached && <strong class="badge breach">{t("inbox.breached")}</strong>}
      </header>
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
      <p class="reason">
        <span class="visually-hidden">{t("inbox.reason")}: </span>
        {item.reason}
      </p>
      <dl class="facts">
        <div>
          <dt>{t("inbox.health")}</dt>
          <dd>
            {a.healthScore === null ? (
              t("inbox.noHealth")
            ) : (
              <span class={`band band-${a.healthBand ?? "none"}`}>{a.healthScore}</span>
            )}{" "}
            {item.health.length > 1 && (
              <Chart
                spec={{
                  kind: "sparkline",
                  labels: item.health.map((h) => shortDate(reading, h.at)),
                  // No fixed 0–100 axis: in a line this small the direction is what shows; the score is beside it.
                  series: [{ label: t("inbox.health"), data: item.health.map((h) => h.score) }],
                }}
                label={`${t("inbox.healthTrend")}: ${item.health.map((h) => h.score).join(", ")}`}
              />
            )}
          </dd>
        </div>
        <div>
          <dt>{t("inbox.tier")}</dt>
          <dd>{t(`inbox.tier.${a.tier}`)}</dd>
        </div>
        <div>
          <dt>{t("inbox.arr")}</dt>
          <dd>{a.arr === null ? t("inbox.none") : amount(reading, a.arr)}</dd>
        </div>
        <div>
          <dt>{t("inbox.renewal")}</dt>
          <dd>{a.renewalDate ? calendarDate(reading, a.renewalDate) : t("inbox.none")}</dd>
        </div>
        <div>
          <dt>{t("inbox.lastLogin")}</dt>
          <dd>{a.lastLoginAt ? instant(reading, a.lastLoginAt) : t("inbox.never")}</dd>
        </div>
        <div>
          <dt>{t("inbox.owner")}</dt>
          <dd>{item.assignee ?? t("inbox.owner.none")}</dd>
        </div>
        <div>
          <dt>{t("inbox.deadline")}</dt>
          <dd>
            <time datetime={item.dueAt.toISOString()}>{instant(reading, item.dueAt)}</time>
          </dd>
        </div>
        {item.status !== "resolved" && (
          <div>
            <dt>{t("inbox.timeLeft")}</dt>
            <dd class={item.breached ? "error" : undefined}>{fromNow(reading, item.dueAt)}</dd>
          </div>
        )}
        {item.status === "resolved" && item.outcome && (
          <div>
            <dt>{t("inbox.resolvedAs")}</dt>
            <dd>
              {item.resolution ? `${item.resolution} · ` : ""}
              {t(`inbox.outcome.${item.outcome}`)}
            </dd>
          </div>
        )}
        {item.notes && (
          <div>
            <dt>{t("inbox.notes")}</dt>
            <dd class="notes">{item.notes}</dd>
          </div>
        )}
      </dl>
      <p>
        <a href={`/app/enrollments/${item.enrollmentId}`}>{t("inbox.trace")}</a>
      </p>
      {ctx.canAct && item.status !== "resolved" && <Actions ctx={ctx} item={item} />}
    </article>
  );
}

function Actions({ ctx, item }: { ctx: RowContext; item: InboxItem }) {
  const { t } = ctx;
  const id = `esc-${item.id}`;
  const action = (verb: string) => ({
    method: "post" as const,
    action: `/app/inbox/${item.id}/${verb}`,
    "hx-post": `/app/inbox/${item.id}/${verb}`,
    "hx-target": `#${id}`,
    "hx-swap": "outerHTML",
  });
  const back = <input type="hidden" name="back" value={ctx.back} />;
  const others = ctx.csms.filter((c) => c.email !== item.assignee);
  return (
    <div class="actions">
      {item.status === "open" && (
        <form {...action("acknowledge")} class="inline">
          {back}
          <button type="submit">{t("inbox.acknowledge")}</button>
        </form>
      )}
      {others.length > 0 && (
        <form {...action("reassign")} class="inline">
          {back}
          <label for={`${id}-assignee`}>{t("inbox.reassignTo")}</label>
          <select id={`${id}-assignee`} name="assignee">
            {others.map((c) => (
              <option value={c.email}>{c.name ? `${c.name} (${c.email})` : c.email}</option>
            ))}
          </select>
          <button type="submit" class="secondary">
            {t("inbox.reassign")}
          </button>
        </form>
      )}
      {/* Kept as it is when the list is polled or the card swapped: a half-written resolution survives. */}
      <details class="resolve" id={`${id}-resolve`} hx-preserve="true">
        <summary>{t("inbox.resolve")}</summary>
        <form {...action("resolve")} class="stack">
          {back}
          <fieldset>
            <legend>{t("inbox.resolveOutcome")}</legend>
            <label class="choice">
              <input type="radio" name="outcome" value="resume" checked /> {t("inbox.resolveResume")}
            </label>
            <label class="choice">
              <input type="radio" name="outcome" value="exit" /> {t("inbox.resolveExit")}
            </label>
          </fieldset>
          <div>
            <label for={`${id}-resolution`}>{t("inbox.resolution")}</label>
            <input
              id={`${id}-resolution`}
              name="resolution"
              pattern="[a-z][a-z0-9_]{0,63}"
              maxlength={64}
              aria-describedby={`${id}-resolution-hint`}
            />
            <small id={`${id}-resolution-hint`}>{t("inbox.resolutionHint")}</small>
          </div>
          <div>
            <label for={`${id}-notes`}>{t("inbox.notes")}</label>
            <textarea id={`${id}-notes`} name="notes" maxlength={5000} rows={3} />
          </div>
          <button type="submit">{t("inbox.resolve")}</button>
        </form>
      </details>
    </div>
  );
}
