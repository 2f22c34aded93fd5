import { escalationPriorities } from "../../../db/schema/index";
import type { TouchView } from "../../core/delivery/touch-message";
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
                  {entry.kind === "branch" && <Facts t={t} detail={entry.detail} />}
                  {entry.kind !== "touch" && typeof entry.detail.touchKey === "string" && (
                    <p>
                      <a
                        href={`/app/enrollments/${encodeURIComponent(enrollment.id)}/touches/${encodeURIComponent(entry.detail.touchKey)}`}
                      >
                        {t("trace.viewMessage")}
                      </a>
                    </p>
                  )}
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
      parts.push(
        `${t("trace.result")}: ${d.result === true ? t("trace.result.true") : d.result === false ? t("trace.result.false") : String(d.result)}`,
      );
      if (text(d.next)) parts.push(`${t("trace.next")}: ${text(d.next)}`);
      break;
    case "sent":
      if (Array.isArray(d.recipients) && d.recipients.length > 0)
        parts.push(`${t("trace.to")}: ${d.recipients.map(String).join(", ")}`);
      if (d.duplicate === true) parts.push(t("trace.duplicate"));
      break;
    case "not_sent":
      if (text(d.status)) parts.push(touchStatus(t, reading, String(d.status)));
      if (why) parts.push(`${t("trace.because")}: ${why}`);
      break;
    case "deferred":
      // Each recipient's decision (quiet_hours, frequency_cap, …), as the delivery arbiter gave it.
      if (Array.isArray(d.decisions) && d.decisions.length > 0)
        parts.push(`${t("trace.because")}: ${d.decisions.map(decisionText).join(", ")}`);
      break;
    case "waiting_for_recipients":
      if (text(d.to)) parts.push(`${t("trace.to")}: ${text(d.to)}`);
      break;
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

/** One recipient's delivery decision: "ann@acme.example quiet_hours". */
function decisionText(value: unknown): string {
  if (!value || typeof value !== "object") return String(value);
  const { to, decision } = value as { to?: unknown; decision?: unknown };
  return [to, decision].filter((v) => typeof v === "string").join(" ");
}

/** The facts a branch's condition read, each with the value it had then. */
function Facts({ t, detail }: { t: T; detail: Record<string, unknown> }) {
  const facts = detail.facts;
  if (!facts || typeof facts !== "object" || Object.keys(facts).length === 0) return null;
  return (
    <table class="trace-facts">
      <caption>{t("trace.facts")}</caption>
      <thead>
        <tr>
          <th scope="col">{t("trace.fact")}</th>
          <th scope="col">{t("trace.value")}</th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(facts).map(([fact, value]) => (
          <tr>
            <th scope="row">
              <code>{fact}</code>
            </th>
            <td>{value === null || value === undefined ? t("trace.noValue") : JSON.stringify(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A touch's status in words; one newer than this page as it is stored. */
export function touchStatus(t: T, reading: Reading, status: string): string {
  const key = `trace.touchStatus.${status}`;
  return key in catalogs[reading.locale] ? t(key as MessageKey) : status;
}

function isPriority(value: unknown): value is (typeof escalationPriorities)[number] {
  return (escalationPriorities as readonly unknown[]).includes(value);
}

/**
 * One touch of the trace: its template, status and why, recipients, and the message: exactly as sent
 * when the outbox kept it (the HTML in a sandboxed frame), the in-app text, or a note that it was not stored.
 */
export function TouchMessagePage({
  t,
  reading,
  enrollmentId,
  touch,
}: {
  t: T;
  reading: Reading;
  enrollmentId: string;
  touch: TouchView;
}) {
  const base = `/app/enrollments/${encodeURIComponent(enrollmentId)}`;
  const m = touch.message;
  return (
    <>
      <p>
        <a href={base}>{t("trace.message.back")}</a>
      </p>
      <section class="card" aria-labelledby="touch-about">
        <h2 id="touch-about">
          {t("trace.step")} <code>{touch.stepId}</code>
        </h2>
        <dl>
          <dt>{t("trace.message.template")}</dt>
          <dd>
            <code>{touch.template}</code>
          </dd>
          <dt>{t("trace.message.channel")}</dt>
          <dd>{touch.channel}</dd>
          <dt>{t("trace.message.status")}</dt>
          <dd>{touchStatus(t, reading, touch.status)}</dd>
          {touch.reason && (
            <>
              <dt>{t("trace.message.reason")}</dt>
              <dd>{touch.reason}</dd>
            </>
          )}
          <dt>{t("trace.message.recipients")}</dt>
          <dd>{(m.kind === "email" && m.to) || touch.recipients.join(", ") || t("trace.noValue")}</dd>
          <dt>{t("trace.message.subject")}</dt>
          <dd>{(m.kind === "email" ? m.subject : touch.subject) ?? t("trace.noValue")}</dd>
          {m.kind === "email" && m.from && (
            <>
              <dt>{t("trace.message.from")}</dt>
              <dd>{m.from}</dd>
            </>
          )}
          {(m.kind === "email" && m.messageId ? [m.messageId] : touch.messageIds).length > 0 && (
            <>
              <dt>{t("trace.message.messageId")}</dt>
              <dd>
                <code>{m.kind === "email" && m.messageId ? m.messageId : touch.messageIds.join(", ")}</code>
              </dd>
            </>
          )}
          <dt>{t("trace.message.created")}</dt>
          <dd>
            <time datetime={touch.createdAt}>{instant(reading, touch.createdAt)}</time>
          </dd>
        </dl>
        <p class="hint">
          {t("inbox.timesIn")} {reading.timeZone}
        </p>
      </section>
      <section class="card" aria-labelledby="touch-message">
        <h2 id="touch-message">{t("trace.message.title")}</h2>
        {m.kind === "email" && (
          <>
            <p class="hint">{t("trace.message.asSent")}</p>
            {m.html !== null && (
              <iframe
                class="trace-message-frame"
                title={t("trace.message.frame")}
                sandbox=""
                src={`${base}/touches/${encodeURIComponent(touch.touchKey)}/frame`}
              />
            )}
            {m.text && (
              <details>
                <summary>{t("trace.message.text")}</summary>
                <pre>{m.text}</pre>
              </details>
            )}
          </>
        )}
        {m.kind === "rendered_again" && (
          <>
            <p class="notice" role="note">
              {t("trace.message.renderedAgain")}
            </p>
            <iframe
              class="trace-message-frame"
              title={t("trace.message.frameAgain")}
              sandbox=""
              src={`${base}/touches/${encodeURIComponent(touch.touchKey)}/frame`}
            />
            <details>
              <summary>{t("trace.message.text")}</summary>
              <pre>{m.text}</pre>
            </details>
          </>
        )}
        {m.kind === "in_app" &&
          m.messages.map((message) => (
            <article class="trace-in-app" aria-label={t("trace.message.inApp")}>
              {message.title && <h3>{message.title}</h3>}
              <p>{message.body}</p>
            </article>
          ))}
        {m.kind === "not_stored" && <p class="hint">{t("trace.message.notStored")}</p>}
      </section>
    </>
  );
}
