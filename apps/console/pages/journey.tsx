import type { Change } from "diff";
import type { JourneyAction } from "../../core/journeys/journeys";
import type { JourneyStats } from "../../core/journeys/stats";
import type { Locale, T } from "../i18n";
import type { JourneyGraph } from "../journey-graph";
import { formatTime } from "./accounts-format";
import { JourneyGraphSvg } from "./journey-graph";

export type JourneyView = {
  key: string;
  name: string;
  status: "draft" | "active" | "paused" | "archived";
  liveVersion: number | null;
  /** The definition drawn: the live version's, else the draft's. */
  definition: Record<string, unknown>;
  draftChanged: boolean;
  problems: { pointer: string; message: string }[];
  versions: { version: number; publishedAt: string }[];
  running: number;
};

export type DiffView = { from: string; to: string; changes: Change[] };

/** A compact description of a trigger, goal or exit rule: its type or event, then its settings. */
export function describe(rule: unknown): string {
  if (!rule || typeof rule !== "object") return String(rule ?? "");
  const { type, event, ...rest } = rule as Record<string, unknown>;
  const head = [type, event].filter((x) => typeof x === "string").join(" ");
  const more = Object.entries(rest)
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(", ");
  return [head, more].filter(Boolean).join(" · ");
}

/** A journey: what it is, its actions, its map with counts, its steps in a table, its versions and their differences. */
export function JourneyPage({
  t,
  locale,
  timeZone,
  journey,
  graph,
  stats,
  held,
  canEdit,
  diff,
  notice,
  error,
}: {
  t: T;
  locale: Locale;
  /** The person's zone (SignedIn.timeZone). */
  timeZone: string;
  journey: JourneyView;
  graph: JourneyGraph | null;
  stats: JourneyStats | null;
  held: { stepId: string; reason: string; n: number }[];
  canEdit: boolean;
  diff?: DiffView;
  notice?: string;
  error?: string;
}) {
  const number = new Intl.NumberFormat(locale);
  const def = journey.definition as {
    trigger?: unknown;
    audience?: unknown;
    goal?: unknown;
    exitWhen?: unknown[];
    steps?: { id: string; type: string; label?: string }[];
  };
  const steps = def.steps ?? [];
  const rows = steps.map((s) => {
    const st = stats?.steps.find((x) => x.stepId === s.id);
    const heldHere = held.filter((h) => h.stepId === s.id);
    return {
      step: s,
      entered: st?.reached ?? 0,
      sent: st?.engagement.delivered ?? 0,
      held: heldHere.reduce((sum, h) => sum + h.n, 0),
      heldReasons: heldHere.map((h) => `${h.reason} ${number.format(h.n)}`).join(", "),
      opened: st?.engagement.opened ?? 0,
      clicked: st?.engagement.clicked ?? 0,
    };
  });
  const counts = Object.fromEntries(
    rows.map((r) => {
      const parts = [`${t("journey.entered")} ${number.format(r.entered)}`];
      if (r.step.type === "email" || r.step.type === "in_app") {
        parts.push(`${t("journey.sent")} ${number.format(r.sent)}`);
        if (r.held > 0) parts.push(`${t("journey.held")} ${number.format(r.held)}`);
        if (r.step.type === "email") parts.push(`${t("journey.opened")} ${number.format(r.opened)}`);
      }
      return [r.step.id, parts.join(" · ")];
    }),
  );
  const titles = Object.fromEntries(steps.map((s) => [s.id, s.label ?? s.id]));
  const actions: JourneyAction[] =
    journey.status === "active"
      ? ["pause", "archive"]
      : journey.status === "paused"
        ? ["resume", "archive"]
        : journey.status === "draft"
          ? ["archive"]
          : [];
  const versionChoices = [
    ...journey.versions.map((v) => ({ value: String(v.version), label: `v${v.version}` })),
    { value: "draft", label: t("journey.draft") },
  ];
  return (
    <>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <section class="card" aria-labelledby="about">
        <h2 id="about">{t("journey.summary")}</h2>
        <dl>
          <dt>{t("journeys.status")}</dt>
          <dd>
            <span class={`badge status-${journey.status}`}>{t(`journey.status.${journey.status}`)}</span>
          </dd>
          <dt>{t("journey.key")}</dt>
          <dd>{journey.key}</dd>
          <dt>{t("journeys.live")}</dt>
          <dd>{journey.liveVersion === null ? t("journey.noVersions") : `v${journey.liveVersion}`}</dd>
          <dt>{t("journey.trigger")}</dt>
          <dd>{describe(def.trigger)}</dd>
          <dt>{t("journey.audience")}</dt>
          <dd>{describe(def.audience) || t("journey.everyone")}</dd>
          <dt>{t("journey.goal")}</dt>
          <dd>{def.goal ? describe(def.goal) : t("journey.none")}</dd>
          <dt>{t("journey.exitWhen")}</dt>
          <dd>{def.exitWhen?.length ? def.exitWhen.map(describe).join("; ") : t("journey.none")}</dd>
          <dt>{t("journeys.inJourney")}</dt>
          <dd>{number.format(journey.running)}</dd>
        </dl>
        {journey.draftChanged && <p class="muted">{t("journey.draftChanged")}</p>}
        {journey.problems.length > 0 && (
          <div class="problems">
            <p class="error">{t("journey.draftProblems")}</p>
            <ul>
              {journey.problems.map((p) => (
                <li>
                  <code>{p.pointer}</code> {p.message}
                </li>
              ))}
            </ul>
          </div>
        )}
        {canEdit && (
          <div class="actions">
            {journey.status !== "archived" && (
              <a class="button-link" href={`/app/journeys/${encodeURIComponent(journey.key)}/edit`}>
                {t("journeyEditor.edit")}
              </a>
            )}
            {journey.draftChanged && journey.problems.length === 0 && journey.status !== "archived" && (
              <form
                method="post"
                action={`/app/journeys/${encodeURIComponent(journey.key)}/publish`}
                class="inline"
              >
                <button type="submit">{t("journey.publish")}</button>
              </form>
            )}
            {actions.map((a) => (
              <form
                method="post"
                action={`/app/journeys/${encodeURIComponent(journey.key)}/${a}`}
                class="inline"
              >
                <button type="submit" class={a === "archive" ? "secondary danger" : "secondary"}>
                  {t(`journey.${a}`)}
                </button>
              </form>
            ))}
          </div>
        )}
      </section>
      <p>
        <a href={`/app/journeys/${encodeURIComponent(journey.key)}/simulate`}>{t("simulate.link")}</a>
      </p>
      <section class="card" aria-labelledby="map">
        <h2 id="map">{t("journey.graph")}</h2>
        {graph ? (
          <JourneyGraphSvg
            t={t}
            graph={graph}
            titles={titles}
            counts={counts}
            trigger={describe(def.trigger)}
          />
        ) : (
          <p>{t("journey.graphUnavailable")}</p>
        )}
      </section>
      <section class="card" aria-labelledby="steps">
        <h2 id="steps">{t("journey.steps")}</h2>
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("journey.step")}</th>
                <th scope="col">{t("journey.type")}</th>
                <th scope="col" class="num">
                  {t("journey.entered")}
                </th>
                <th scope="col" class="num">
                  {t("journey.sent")}
                </th>
                <th scope="col" class="num">
                  {t("journey.held")}
                </th>
                <th scope="col" class="num">
                  {t("journey.opened")}
                </th>
                <th scope="col" class="num">
                  {t("journey.clicked")}
                </th>
                <th scope="col" class="num">
                  {t("journey.escalated")}
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const touch = r.step.type === "email" || r.step.type === "in_app";
                return (
                  <tr id={`step-${r.step.id}`} tabindex={-1}>
                    <th scope="row">
                      {r.step.label ?? r.step.id}
                      <div class="muted">{r.step.id}</div>
                    </th>
                    <td>{t(`journey.kind.${r.step.type as "email"}`) ?? r.step.type}</td>
                    <td class="num">{number.format(r.entered)}</td>
                    <td class="num">{touch ? number.format(r.sent) : "–"}</td>
                    <td class="num" title={r.heldReasons || undefined}>
                      {touch ? number.format(r.held) : "–"}
                      {r.heldReasons && <div class="muted">{r.heldReasons}</div>}
                    </td>
                    <td class="num">{touch ? number.format(r.opened) : "–"}</td>
                    <td class="num">{touch ? number.format(r.clicked) : "–"}</td>
                    <td class="num">{r.step.type === "escalate" ? number.format(r.entered) : "–"}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
      <section class="card" aria-labelledby="versions">
        <h2 id="versions">{t("journey.versions")}</h2>
        {journey.versions.length === 0 ? (
          <p>{t("journey.noVersions")}</p>
        ) : (
          <ul>
            {journey.versions.map((v) => (
              <li>
                v{v.version} · {t("journey.publishedAt")} {formatTime(locale, v.publishedAt, timeZone)}
              </li>
            ))}
          </ul>
        )}
        <h3>{t("journey.diff")}</h3>
        <form
          method="get"
          action={`/app/journeys/${encodeURIComponent(journey.key)}#diff`}
          class="inline wrap"
        >
          <label for="diff-from">{t("journey.diffFrom")}</label>
          <select id="diff-from" name="from">
            {versionChoices.map((c) => (
              <option
                value={c.value}
                selected={diff ? diff.from === c.value : c.value === versionChoices[0]?.value}
              >
                {c.label}
              </option>
            ))}
          </select>
          <label for="diff-to">{t("journey.diffTo")}</label>
          <select id="diff-to" name="to">
            {versionChoices.map((c) => (
              <option value={c.value} selected={diff ? diff.to === c.value : c.value === "draft"}>
                {c.label}
              </option>
            ))}
          </select>
          <button type="submit" class="secondary">
            {t("journey.diffSubmit")}
          </button>
        </form>
        {diff && (
          <div id="diff" class="diff">
            {diff.changes.every((c) => !c.added && !c.removed) ? (
              <p>{t("journey.diffSame")}</p>
            ) : (
              <pre>
                {diff.changes.map((c) => {
                  const lines = c.value.replace(/\n$/, "").split("\n");
                  const kind = c.added ? "ins" : c.removed ? "del" : "same";
                  const mark = c.added ? "+ " : c.removed ? "- " : "  ";
                  // Unchanged stretches are shortened to their edges.
                  const shown =
                    kind === "same" && lines.length > 6
                      ? [...lines.slice(0, 3), "…", ...lines.slice(-3)]
                      : lines;
                  return shown.map((l) =>
                    kind === "ins" ? (
                      <ins>{`${mark}${l}\n`}</ins>
                    ) : kind === "del" ? (
                      <del>{`${mark}${l}\n`}</del>
                    ) : (
                      <span>{`${mark}${l}\n`}</span>
                    ),
                  );
                })}
              </pre>
            )}
          </div>
        )}
      </section>
    </>
  );
}

/** The page asking before an action that touches running enrollments. */
export function ConfirmAction({
  t,
  locale,
  journeyKey,
  action,
  running,
}: {
  t: T;
  locale: Locale;
  journeyKey: string;
  action: JourneyAction | "publish";
  running: number;
}) {
  const path = `/app/journeys/${encodeURIComponent(journeyKey)}`;
  return (
    <section class="card" aria-labelledby="confirm">
      <h2 id="confirm">{t(`journey.${action}`)}</h2>
      <p>
        {t(`journey.confirm.${action}`)}{" "}
        {action !== "publish" && (
          <strong>
            {new Intl.NumberFormat(locale).format(running)} {t("journey.runs")}
          </strong>
        )}
      </p>
      <form method="post" action={`${path}/${action}`} class="inline">
        <input type="hidden" name="confirmed" value="yes" />
        <button type="submit">{t("journey.confirmSubmit")}</button>
        <a href={path}>{t("journey.cancel")}</a>
      </form>
    </section>
  );
}
