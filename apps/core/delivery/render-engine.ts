import Handlebars from "handlebars";
import { htmlToText } from "./html-text";
import { MAX_OUTPUT_BYTES, partialProblem, usesLog } from "./render-limits";
import { unsafeLinks } from "./unsafe-links";

/**
 * The handlebars side of the render sandbox: it runs in a render thread (render-thread.mjs), never on
 * the event loop of the API or the Temporal worker. One isolated handlebars instance with the
 * installation's partials and helpers, and a compile cache bounded by the source it holds.
 */

type Root = {
  contact?: { locale?: string | null; timezone?: string | null };
  account?: { timezone?: string | null };
};
type Options = { data?: { root?: Root }; hash?: Record<string, unknown> };

/** The reader's locale and time zone: the contact's, else the account's zone, else English / UTC. */
function reader(options: Options) {
  const root = options.data?.root ?? {};
  return {
    locale: root.contact?.locale ?? "en",
    timeZone: root.contact?.timezone ?? root.account?.timezone ?? "UTC",
  };
}

/** What a message renders to: the subject (email), the HTML and its plain-text part. */
export type Rendered = { subject?: string; html: string; text: string };

export type RenderJob = {
  template: { subject?: string | null; body: string };
  context: object;
  /** Emails get the layout (header, footer with the preferences link) unless they bring their own. */
  layout: boolean;
  /** Save-time: also refuse what renders but must not be sent (`{{log}}`, `javascript:` links). */
  strict: boolean;
};

/** Rendered (with what a save must refuse, when strict), or why it cannot be. */
export type RenderReply =
  | { ok: true; rendered: Rendered; problems: string[] }
  | { ok: false; problem: string };

/** Sources the compile cache may hold, in characters: a render thread's heap is small. */
const CACHE_CHARS = 2_000_000;

export function createEngine(partials: Record<string, string>): { run(job: RenderJob): RenderReply } {
  const hbs = Handlebars.create();
  const parsedPartials = new Map<string, hbs.AST.Program>();
  for (const [name, source] of Object.entries(partials)) {
    hbs.registerPartial(name, source);
    parsedPartials.set(name, Handlebars.parse(source));
  }
  // {{formatDate renewal.date}} / {{formatDate at style="short"}}: in the reader's zone and language.
  hbs.registerHelper("formatDate", (value: unknown, options: Options) => {
    if (value === null || value === undefined || value === "") return "";
    const { locale, timeZone } = reader(options);
    const text = String(value);
    // A bare date is a calendar day: show it as that day, whatever the zone.
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
    const date = new Date(dateOnly ? `${text}T00:00:00Z` : text);
    if (Number.isNaN(date.getTime())) return text;
    const style = (options.hash?.style as "full" | "long" | "medium" | "short" | undefined) ?? "long";
    return new Intl.DateTimeFormat(locale, {
      dateStyle: style,
      ...(dateOnly ? { timeZone: "UTC" } : { timeZone, timeStyle: options.hash?.time ? "short" : undefined }),
    }).format(date);
  });
  // {{formatNumber account.arr}} / {{formatNumber account.arr currency="JPY"}}
  hbs.registerHelper("formatNumber", (value: unknown, options: Options) => {
    const n = Number(value);
    if (value === null || value === undefined || Number.isNaN(n)) return "";
    const currency = options.hash?.currency as string | undefined;
    return new Intl.NumberFormat(
      reader(options).locale,
      currency ? { style: "currency", currency } : {},
    ).format(n);
  });
  // {{plural count "user" "users"}}: Intl plural rules of the reader's language (Japanese has one form).
  hbs.registerHelper("plural", (count: unknown, one: unknown, other: unknown, options: Options) => {
    const rule = new Intl.PluralRules(reader(options).locale).select(Number(count));
    return `${count} ${rule === "one" ? String(one) : String(other)}`;
  });
  // {{default contact.firstName "there"}}
  hbs.registerHelper("default", (value: unknown, fallback: unknown) =>
    value === null || value === undefined || value === "" ? fallback : value,
  );
  hbs.registerHelper("eq", (a: unknown, b: unknown) => a === b);
  // {{lines workspace.postalAddress}}: multi-line text with its line breaks, each line escaped.
  hbs.registerHelper("lines", (value: unknown) =>
    value === null || value === undefined
      ? ""
      : new hbs.SafeString(
          String(value)
            .split(/\r?\n/)
            .map((line) => hbs.escapeExpression(line))
            .join("<br>"),
        ),
  );

  // The built-in would write template text into the server's log; a save refuses it (strict),
  // and a template stored before that renders it as nothing.
  hbs.registerHelper("log", () => "");

  type Compiled = { render: HandlebarsTemplateDelegate } | { problem: string };
  const cache = new Map<string, Compiled>();
  let cachedChars = 0;
  /** `text` compiles without HTML escaping: a subject is a plain-text header, not markup. */
  const compile = (source: string, kind: "html" | "text", layout: boolean): Compiled => {
    const key = `${kind}:${layout}:${source}`;
    const hit = cache.get(key);
    if (hit) {
      // Least recently used goes first.
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    // The limits apply to the message as written; the layout around it is the installation's.
    const problem = partialProblem(Handlebars.parse(source), parsedPartials);
    const compiled: Compiled = problem
      ? { problem }
      : {
          render: hbs.compile(layout ? `{{#> layout-email}}${source}{{/layout-email}}` : source, {
            strict: false,
            noEscape: kind === "text",
          }),
        };
    cache.set(key, compiled);
    cachedChars += key.length;
    for (const [old] of cache) {
      if (cachedChars <= CACHE_CHARS || cache.size <= 1) break;
      cache.delete(old);
      cachedChars -= old.length;
    }
    return compiled;
  };
  const renderOne = (source: string, kind: "html" | "text", layout: boolean, context: object): string => {
    const compiled = compile(source, kind, layout);
    if ("problem" in compiled) throw new Error(compiled.problem);
    const output = compiled.render(context);
    const bytes = Buffer.byteLength(output);
    if (bytes > MAX_OUTPUT_BYTES)
      throw new Error(`renders ${kib(bytes)} KiB; at most ${kib(MAX_OUTPUT_BYTES)} KiB are allowed`);
    return output;
  };

  return {
    run({ template, context, layout, strict }) {
      try {
        const wrap = layout && !/^\s*<(!doctype|html)/i.test(template.body);
        const html = renderOne(template.body, "html", wrap, context);
        const subject = template.subject
          ? // Any whitespace run, CR and LF included, becomes one space: a value can never add a header.
            renderOne(template.subject, "text", false, context).replace(/\s+/g, " ").trim()
          : undefined;
        const rendered = { ...(subject !== undefined ? { subject } : {}), html, text: htmlToText(html) };
        if (strict) return { ok: true, rendered, problems: strictProblems(template, html) };
        // Saved templates have none, but a value can still bring one (`href="{{account.attributes.url}}"`).
        const links = unsafeLinks(html);
        if (links.length > 0) throw new Error(`renders a link to ${links.join(", ")}, which is never sent`);
        return { ok: true, rendered, problems: [] };
      } catch (err) {
        return { ok: false, problem: (err as Error).message };
      }
    },
  };
}

/** What renders but must not be saved: `{{log}}`, and script or data link targets written or rendered. */
function strictProblems(template: RenderJob["template"], html: string): string[] {
  const problems: string[] = [];
  const sources = [template.subject ?? "", template.body];
  if (sources.some((source) => usesLog(Handlebars.parse(source))))
    problems.push("uses {{log}}, which is not available: it would write template text into the server's log");
  const links = new Set([...unsafeLinks(template.body), ...unsafeLinks(html)]);
  if (links.size > 0)
    problems.push(`links to ${[...links].join(", ")}: javascript: and data: link targets are not allowed`);
  return problems;
}

function kib(bytes: number): string {
  return (bytes / 1024).toLocaleString("en", { maximumFractionDigits: 0 });
}
