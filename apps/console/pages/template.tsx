import type { T } from "../i18n";
import { OriginBadge, type TemplateOrigin } from "./templates";

/** Problems of a typed template by field; `other` for those of no field shown (channel, locale). */
export type FieldProblems = { subject: string[]; body: string[]; other: string[] };

export type PreviewView =
  | { kind: "frame"; src: string; subject: string | null; missing: string[] }
  | { kind: "problems"; problems: string[] };

export type TemplateView = {
  key: string;
  channel: "email" | "in_app";
  category: string;
  origin: TemplateOrigin;
  /** The languages offered as tabs: the template's and the console's. */
  locales: string[];
};

const pathOf = (key: string) => `/app/templates/${encodeURIComponent(key)}`;

/**
 * One template in one language: subject and body in a form (CS Ops save it), the preview beside it
 * updating as they type (htmx posts the form to /preview), and a test sent to themselves.
 */
export function TemplatePage({
  t,
  template,
  copyLocale,
  subject,
  body,
  problems,
  preview,
  canEdit,
  notice,
  error,
}: {
  t: T;
  template: TemplateView;
  copyLocale: string;
  subject: string;
  body: string;
  problems?: FieldProblems;
  preview: PreviewView;
  canEdit: boolean;
  notice?: string;
  error?: string;
}) {
  const path = pathOf(template.key);
  const live = canEdit
    ? {
        "hx-post": `${path}/preview`,
        "hx-trigger": "input changed delay:400ms",
        "hx-target": "#preview",
        "hx-include": "closest form",
      }
    : {};
  const described = (id: string, list: string[] | undefined, hint?: string) =>
    [list && list.length > 0 ? `${id}-problems` : "", hint ?? ""].filter(Boolean).join(" ") || undefined;
  return (
    <>
      <p>
        <a href="/app/templates">{t("template.back")}</a> · {t(`template.channel.${template.channel}`)} ·{" "}
        {template.category} · <OriginBadge t={t} origin={template.origin} />
      </p>
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
      {!canEdit && <p>{t("template.readOnly")}</p>}
      <nav aria-label={t("template.languages")} class="tabs">
        <ul>
          {template.locales.map((l) => (
            <li>
              <a
                href={`${path}?locale=${encodeURIComponent(l)}`}
                aria-current={l === copyLocale ? "page" : undefined}
                lang={l}
              >
                {l === "ja" ? "日本語" : l === "en" ? "English" : l}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="template-grid">
        <form method="post" action={path} class="template-form card" lang={copyLocale}>
          <input type="hidden" name="locale" value={copyLocale} />
          {problems && problems.other.length > 0 && (
            <ul class="error" role="alert">
              {problems.other.map((p) => (
                <li>{p}</li>
              ))}
            </ul>
          )}
          {template.channel === "email" && (
            <>
              <label for="subject">{t("template.subject")}</label>
              <input
                id="subject"
                name="subject"
                value={subject}
                readonly={!canEdit}
                aria-invalid={problems && problems.subject.length > 0 ? "true" : undefined}
                aria-describedby={described("subject", problems?.subject)}
                {...live}
              />
              <FieldErrors id="subject-problems" list={problems?.subject} />
            </>
          )}
          <label for="body">{t("template.body")}</label>
          <textarea
            id="body"
            name="body"
            rows={18}
            readonly={!canEdit}
            aria-invalid={problems && problems.body.length > 0 ? "true" : undefined}
            aria-describedby={described("body", problems?.body, "body-hint")}
            {...live}
          >
            {body}
          </textarea>
          <small id="body-hint">{t("template.bodyHint")}</small>
          <FieldErrors id="body-problems" list={problems?.body} />
          {canEdit && (
            <div class="actions">
              <button type="submit">{t("template.save")}</button>
              <button type="submit" class="secondary" formaction={`${path}/preview`}>
                {t("template.previewNow")}
              </button>
            </div>
          )}
        </form>
        <section class="card preview-panel" aria-labelledby="preview-heading">
          <h2 id="preview-heading">{t("template.preview")}</h2>
          <p class="muted">{t("template.previewHint")}</p>
          <div id="preview" aria-live="polite">
            <PreviewBody t={t} preview={preview} />
          </div>
        </section>
      </div>
      {canEdit && template.channel === "email" && (
        <section class="card" aria-labelledby="test-heading">
          <h2 id="test-heading">{t("template.sendTest")}</h2>
          <p id="test-hint">{t("template.sendTestHint")}</p>
          <form
            method="post"
            action={`${path}/test`}
            hx-post={`${path}/test`}
            hx-target="#test-result"
            class="inline"
          >
            <input type="hidden" name="locale" value={copyLocale} />
            <button type="submit" aria-describedby="test-hint">
              {t("template.sendTest")}
            </button>
          </form>
          <div id="test-result" />
        </section>
      )}
    </>
  );
}

function FieldErrors({ id, list }: { id: string; list: string[] | undefined }) {
  if (!list || list.length === 0) return null;
  return (
    <ul id={id} class="error field-problems">
      {list.map((p) => (
        <li>{p}</li>
      ))}
    </ul>
  );
}

/** The preview: the rendered email in a sandboxed frame of its own, or why it cannot be shown yet. */
export function PreviewBody({ t, preview }: { t: T; preview: PreviewView }) {
  if (preview.kind === "problems")
    return (
      <div class="error">
        <p>{t("template.previewProblems")}</p>
        <ul>
          {preview.problems.map((p) => (
            <li>{p}</li>
          ))}
        </ul>
      </div>
    );
  return (
    <>
      {preview.subject !== null && (
        <p>
          <strong>{t("template.previewSubject")}</strong>{" "}
          <span class="preview-subject">{preview.subject}</span>
        </p>
      )}
      <iframe sandbox="" src={preview.src} title={t("template.preview")} class="preview-frame" />
      {preview.missing.length > 0 ? (
        <p class="missing">
          {t("template.leftEmpty")}{" "}
          {preview.missing.map((v, i) => (
            <>
              {i > 0 && ", "}
              <code>{`{{${v}}}`}</code>
            </>
          ))}
        </p>
      ) : (
        <p class="muted">{t("template.noneEmpty")}</p>
      )}
    </>
  );
}

/** What a test send says: where it went, or why it did not. */
export function TestResult({ message, ok }: { message: string; ok: boolean }) {
  return ok ? (
    <p class="notice" role="status">
      {message}
    </p>
  ) : (
    <p class="error" role="alert">
      {message}
    </p>
  );
}
