import { randomUUID } from "node:crypto";
import { type Context, Hono } from "hono";
import type { AppDeps } from "../../api/context";
import { createTokenBuckets } from "../../api/token-buckets";
import { templatesLastChanged } from "../../core/templates/last-changed";
import {
  findTemplate,
  listTemplates,
  TemplateInput,
  type TemplateProblem,
} from "../../core/templates/message-templates";
import { previewDraft } from "../../core/templates/preview-draft";
import { saveTemplate } from "../../core/templates/save-template";
import { sendTemplateTest } from "../../core/templates/send-test";
import { type Preview, previewTemplate } from "../../core/templates/template-preview";
import { roleAtLeast } from "../../core/workspace/roles";
import type { ConsoleEnv } from "../context";
import { LOCALES, type T } from "../i18n";
import { isHtmx, type PageStatus, page, requireRole, signedIn } from "../page";
import {
  type FieldProblems,
  PreviewBody,
  type PreviewView,
  TemplatePage,
  type TemplateView,
  TestResult,
} from "../pages/template";
import { originOf, TemplatesPage } from "../pages/templates";

/**
 * The rendered email's own headers: it runs nothing, loads nothing but images, keeps its inline
 * styles, and only the console may frame it. Its sandbox also gives it an opaque origin, so it can
 * never read the console's cookies or pages.
 */
const FRAME_POLICY =
  "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; frame-ancestors 'self'";
/** Test emails per person per minute. */
const TEST_SENDS = { limit: 10, windowMs: 60_000 };
/** Drafts rendered for the live preview, kept in memory until their frame has loaded them. */
const DRAFTS = { max: 500, ttlMs: 10 * 60_000 };

type RenderedDraft = { userId: string; workspaceId: string; key: string; html: string; at: number };

/**
 * The templates pages (issue 18 item 4): anyone signed in reads them; CS Ops save subject and body
 * per language through the same use case as PUT /v1/templates/{key}, preview as they type, and send
 * a test to themselves.
 */
export function templatesRoutes(deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();
  const testSends = createTokenBuckets(TEST_SENDS, deps.clock);
  // A draft's preview is rendered when it is posted and served to its frame by an unguessable id: the
  // typed body is too long for a URL in Japanese, and the frame's GET carries the session like a page.
  const drafts = new Map<string, RenderedDraft>();

  app.use("/app/templates", requireRole("viewer"));
  app.use("/app/templates/*", requireRole("viewer"));

  app.get("/app/templates", async (c) => {
    const user = signedIn(c);
    const [summaries, changed] = await Promise.all([
      listTemplates(deps.db, user.workspaceId, deps.fileTemplates),
      templatesLastChanged(deps.db, user.workspaceId),
    ]);
    const templates = summaries.map((s) => ({
      ...s,
      origin: originOf(s.source, isShipped(s.key)),
      lastChanged: changed.get(s.key) ?? null,
    }));
    return page(
      c,
      c.var.t("templates.title"),
      <TemplatesPage
        t={c.var.t}
        locale={c.var.locale}
        timeZone={signedIn(c).timeZone}
        templates={templates}
      />,
    );
  });

  app.get("/app/templates/:key", async (c) => {
    const notice = c.req.query("done") === "saved" ? c.var.t("template.saved") : undefined;
    return editPage(c, { copyLocale: c.req.query("locale"), ...(notice ? { notice } : {}) });
  });

  app.post("/app/templates/:key", requireRole("cs_ops"), async (c) => {
    const user = signedIn(c);
    const key = c.req.param("key");
    const copy = await findTemplate(deps.db, deps.fileTemplates, user.workspaceId, key);
    if (!copy) return notFound(c);
    const typed = await typedDraft(c);
    const parsed = TemplateInput.safeParse({
      channel: copy.channel,
      category: copy.category,
      locale: typed.locale,
      body: typed.body,
      ...(copy.channel === "email" ? { subject: typed.subject } : {}),
    });
    const problems: TemplateProblem[] = parsed.success
      ? await saveTemplate(deps, user.workspaceId, key, parsed.data).then((r) => (r.ok ? [] : r.problems))
      : parsed.error.issues.map((i) => ({ pointer: `/${i.path.join("/")}`, message: i.message }));
    if (problems.length > 0)
      return editPage(c, {
        copyLocale: typed.locale,
        typed,
        problems: byField(problems),
        error: c.var.t("template.notSaved"),
        status: 422,
      });
    return c.redirect(
      `/app/templates/${encodeURIComponent(key)}?locale=${encodeURIComponent(typed.locale)}&done=saved`,
      303,
    );
  });

  // The live preview: htmx posts the form as it is typed and swaps in the frame; without script the
  // "Preview changes" button posts here and gets the whole page back with what was typed.
  app.post("/app/templates/:key/preview", async (c) => {
    const user = signedIn(c);
    const key = c.req.param("key");
    const typed = await typedDraft(c);
    const result = await previewDraft(deps, user.workspaceId, key, typed);
    if (!result.ok && result.refusal === "not_found") return notFound(c);
    let preview: PreviewView;
    if (result.ok) {
      const id = keepDraft({
        userId: user.userId,
        workspaceId: user.workspaceId,
        key,
        html: result.preview.html,
      });
      preview = frameOf(key, typed.locale, result.preview, id);
    } else {
      preview = { kind: "problems", problems: result.problems.map((p) => p.message) };
    }
    if (isHtmx(c)) return c.html(<PreviewBody t={c.var.t} preview={preview} />);
    return editPage(c, { copyLocale: typed.locale, typed, preview });
  });

  // The frame itself: the saved copy in one language, or a draft rendered by the POST above.
  app.get("/app/templates/:key/preview", async (c) => {
    const user = signedIn(c);
    const key = c.req.param("key");
    const framed = (html: string) =>
      c.html(html, 200, { "Content-Security-Policy": FRAME_POLICY, "X-Frame-Options": "SAMEORIGIN" });
    const draftId = c.req.query("draft");
    if (draftId) {
      const draft = drafts.get(draftId);
      const fresh = draft && deps.clock.now().getTime() - draft.at < DRAFTS.ttlMs;
      if (
        draft &&
        fresh &&
        draft.userId === user.userId &&
        draft.workspaceId === user.workspaceId &&
        draft.key === key
      )
        return framed(draft.html);
      return c.text(c.var.t("forbidden.body"), 404);
    }
    const result = await previewTemplate(deps.db, deps.fileTemplates, deps.renderer, user.workspaceId, key, {
      ...localeQuery(c.req.query("locale")),
      data: {},
    });
    if (!result.ok)
      return c.text(
        result.refusal === "not_found" ? c.var.t("forbidden.body") : result.message,
        result.refusal === "not_found" ? 404 : 422,
      );
    return framed(result.preview.html);
  });

  app.post("/app/templates/:key/test", requireRole("cs_ops"), async (c) => {
    const user = signedIn(c);
    const t = c.var.t;
    const key = c.req.param("key");
    const { locale } = await typedDraft(c);
    const answer = (ok: boolean, message: string, status: PageStatus) =>
      isHtmx(c)
        ? c.html(<TestResult ok={ok} message={message} />, status === 404 ? 404 : 200)
        : editPage(c, { copyLocale: locale, ...(ok ? { notice: message } : { error: message }), status });
    if (!testSends.take(user.userId).ok) return answer(false, t("template.tooMany"), 429);
    const sent = await sendTemplateTest(deps, user.workspaceId, key, locale, {
      name: user.name,
      email: user.email,
    });
    if (sent.ok)
      return answer(
        true,
        t(sent.via === "smtp" ? "template.sentSmtp" : "template.sentOutbox").replace("{to}", sent.to),
        200,
      );
    if (sent.refusal === "not_found") return notFound(c);
    if (sent.refusal === "not_email") return answer(false, t("template.notEmail"), 422);
    return answer(false, `${t("template.sendFailed")} ${sent.reason}`, 422);
  });

  return app;

  function isShipped(key: string) {
    return deps.fileTemplates.some((f) => f.key === key);
  }

  function notFound(c: Context<ConsoleEnv>) {
    return page(c, c.var.t("templates.title"), <p>{c.var.t("forbidden.body")}</p>, 404);
  }

  /** The edit page for one language of a template: saved copy, or what was typed with its problems. */
  async function editPage(
    c: Context<ConsoleEnv>,
    options: {
      copyLocale: string | undefined;
      typed?: { subject: string; body: string };
      problems?: FieldProblems;
      preview?: PreviewView;
      notice?: string;
      error?: string;
      status?: PageStatus;
    },
  ) {
    const user = signedIn(c);
    const t = c.var.t;
    const key = c.req.param("key") ?? "";
    const copy = await findTemplate(deps.db, deps.fileTemplates, user.workspaceId, key);
    if (!copy) return notFound(c);
    const locales = [...new Set([...Object.keys(copy.locales), ...LOCALES])].sort();
    const requested = options.copyLocale;
    const copyLocale = requested && locales.includes(requested) ? requested : "en";
    const saved = copy.locales[copyLocale];
    const subject = options.typed?.subject ?? saved?.subject ?? "";
    const body = options.typed?.body ?? saved?.body ?? "";
    const preview = options.preview ?? (await previewOf(c, key, copyLocale, options.typed, t));
    const view: TemplateView = {
      key,
      channel: copy.channel,
      category: copy.category,
      origin: originOf(copy.source, isShipped(key)),
      locales,
    };
    return page(
      c,
      key,
      <TemplatePage
        t={t}
        template={view}
        copyLocale={copyLocale}
        subject={subject}
        body={body}
        preview={preview}
        canEdit={roleAtLeast(user.role, "cs_ops")}
        {...(options.problems ? { problems: options.problems } : {})}
        {...(options.notice ? { notice: options.notice } : {})}
        {...(options.error ? { error: options.error } : {})}
      />,
      options.status ?? 200,
    );
  }

  /** The preview shown with the page: of the typed draft after a refused save, else of the saved copy. */
  async function previewOf(
    c: Context<ConsoleEnv>,
    key: string,
    copyLocale: string,
    typed: { subject: string; body: string } | undefined,
    t: T,
  ): Promise<PreviewView> {
    const user = signedIn(c);
    if (typed) {
      const result = await previewDraft(deps, user.workspaceId, key, { locale: copyLocale, ...typed });
      if (result.ok) {
        const id = keepDraft({
          userId: user.userId,
          workspaceId: user.workspaceId,
          key,
          html: result.preview.html,
        });
        return frameOf(key, copyLocale, result.preview, id);
      }
      return {
        kind: "problems",
        problems:
          result.ok === false && result.refusal === "invalid" ? result.problems.map((p) => p.message) : [],
      };
    }
    const result = await previewTemplate(deps.db, deps.fileTemplates, deps.renderer, user.workspaceId, key, {
      locale: copyLocale,
      data: {},
    });
    if (!result.ok)
      return {
        kind: "problems",
        problems: [result.refusal === "invalid" ? result.message : t("template.previewHint")],
      };
    // The saved copy of another language is shown when this one has none yet: say which.
    return frameOf(key, result.preview.locale, result.preview);
  }

  function keepDraft(draft: Omit<RenderedDraft, "at">): string {
    const now = deps.clock.now().getTime();
    for (const [id, old] of drafts) {
      if (drafts.size < DRAFTS.max && now - old.at < DRAFTS.ttlMs) break;
      drafts.delete(id);
    }
    const id = randomUUID();
    drafts.set(id, { ...draft, at: now });
    return id;
  }
}

function frameOf(key: string, locale: string, preview: Preview, draftId?: string): PreviewView {
  const query = new URLSearchParams({ locale, ...(draftId ? { draft: draftId } : {}) });
  return {
    kind: "frame",
    src: `/app/templates/${encodeURIComponent(key)}/preview?${query}`,
    subject: preview.channel === "email" ? preview.subject : null,
    missing: preview.missing,
  };
}

const localeQuery = (locale: string | undefined) =>
  locale && /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(locale) ? { locale } : {};

/** What the form carried: the language of the copy, subject and body as typed (line ends as typed). */
async function typedDraft(c: Context<ConsoleEnv>) {
  const form = await c.req.parseBody();
  const locale = String(form.locale ?? "en");
  return {
    locale: /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(locale) ? locale : "en",
    subject: String(form.subject ?? ""),
    body: String(form.body ?? "").replace(/\r\n/g, "\n"),
  };
}

/** Save problems at their fields: subject, body, or above the form. */
function byField(problems: TemplateProblem[]): FieldProblems {
  const out: FieldProblems = { subject: [], body: [], other: [] };
  for (const p of problems) {
    const field = p.pointer.split("/")[1];
    if (field === "subject" || field === "body") out[field].push(p.message);
    else out.other.push(`${p.pointer.slice(1)}: ${p.message}`);
  }
  return out;
}
