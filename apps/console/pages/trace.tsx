import { escalationPriorities } from "../../../db/schema/index";
import type { Enrollment, TraceEntry } from "../../core/enrollments/schemas";
import type { MessageKey, T } from "../i18n";
import { catalogs } from "../i18n";
import { instant, type Reading } from "./inbox-format";

/**
 * One enrollment: its journey, version, account and status, then its trace as a timeline, oldest
 * first: when, which step, what happened and why (sent or held, waits, branches, escalations).
 */
export function TracePage({
  t,
  reading,
  enrollment,
  accountName,
  trace,
}: {
  t: T;
  reading: Reading;
  enrollment: Enrollment;
  accountName: string;
  trace: TraceEntry[];
}) {
  return (
    <>
      <section class="card" aria-labelledby="trace-about">
        <h2 id="trace-about" class="visually-hidden">
          {t("trace.title")}
        </h2>
        <dl>
          <dt>{t("trace.journey")}</dt>
          <dd>{enrollment.journey}</dd>
          <dt>{t("trace.version")}</dt>
          <dd>{enrollment.version}</dd>
          <dt>{t("trace.account")}</dt>
          <dd>
            <a href={`/app/accounts/${encodeURIComponent(enrollment.account)}`}>{accountName}</a>
          </dd>
          <dt>{t("trace.status")}</dt>
          <dd>{t(`trace.status.${enrollment.status}`)}</dd>
          {enrollment.currentStep && (
            <>
              <dt>{t("trace.currentStep")}</dt>
              <dd>{enrollment.currentStep}</dd>
            </>
          )}
          <dt>{t("trace.entered")}</dt>
          <dd>{instant(reading, enrollment.enteredAt)}</dd>
          {enrollment.finishedAt && (
            <>
              <dt>{t("trace.finished")}</dt>
              <dd>{instant(reading, enrollment.finishedAt)}</dd>
            </>
          )}
          {enrollment.exitReason && (
            <>
              <dt>{t("trace.exitReason")}</dt>
              <dd>{enrollment.exitReason}</dd>
            </>
          )}
        </dl>
        <p class="hint">
          {t("inbox.timesIn")} {reading.timeZone}
        </p>
      </section>
      <section class="card" aria-labelledby="trace-timeline">
        <h2 id="trace-timeline">{t("trace.timeline")}</h2>
        {trace.length === 0 ? (
          <p>{t("trace.empty")}</p>
        ) : (
          <ol class="timeline">
            {trace.map((entry) => (
              <li class={`trace-${entry.kind}`}>
                <time datetime={entry.at}>{instant(reading, entry.at)}</time>
                <div>
                  <strong>{kindLabel(t, reading, entry.kind)}</strong>
                  {entry.stepId && (
                    <span class="step">
                      {" "}
                      · {t("trace.step")} <code>{entry.stepId}</code>
                    </span>
                  )}
                  <Said t={t} reading={reading} entry={entry} />
                  {Object.keys(entry.detail).length > 0 && (
                    <details>
                      <summary>{t("trace.details")}</summary>
                      <pre>{JSON.stringify(entry.detail, null, 2)}</pre>
                    </details>
                  )}
                </div>
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

/** The kind in words; a kind newer than this page is shown as it is stored. */
function kindLabel(t: T, reading: Reading, kind: string): string {
  const key = `trace.kind.${kind}`;
  return key in catalogs[reading.locale] ? t(key as MessageKey) : kind;
}

/** The one line that says what the entry means: why, until when, where next. */
function Said({ t, reading, entry }: { t: T; reading: Reading; entry: TraceEntry }) {
  const d = entry.detail;
  const text = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : undefined);
  const parts: string[] = [];
  const until = text(d.until);
  const why = text(d.reason) ?? text(d.because);
  switch (entry.kind) {
    case "escalation_resolved":
      parts.push(d.resume ? t("trace.resume") : t("trace.exit"));
      if (text(d.resolution)) parts.push(`“${text(d.resolution)}”`);
      break;
    case "escalated":
      if (why) parts.push(why);
      if (isPriority(d.priority)) parts.push(t(`inbox.priority.${d.priority}`));
      break;
    case "csm_notified":
      if (text(d.to)) parts.push(String(d.to));
      break;
    case "branch":
    case "split":
    case "timed_out":
      if (text(d.result) !== undefined) parts.push(String(d.result));
      if (text(d.next)) parts.push(`${t("trace.next")}: ${text(d.next)}`);
      break;
    case "stage_set":
      if (text(d.stage)) parts.push(String(d.stage));
      break;
    case "event_received":
    case "goal":
    case "waiting_for_event":
      if (text(d.event)) parts.push(String(d.event));
      break;
    case "touch":
      if (text(d.template)) parts.push(`${text(d.channel) ?? ""} ${text(d.template)}`.trim());
      break;
    default:
      if (why) parts.push(`${t("trace.because")}: ${why}`);
  }
  if (until && !Number.isNaN(Date.parse(until)))
    parts.push(`${t("trace.until")}: ${instant(reading, until)}`);
  return parts.length > 0 ? <p class="said">{parts.join(" · ")}</p> : null;
}

function isPriority(value: unknown): value is (typeof escalationPriorities)[number] {
  return (escalationPriorities as readonly unknown[]).includes(value);
}
