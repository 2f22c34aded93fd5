import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";

const defaultPartialsDir = new URL("../../../templates/partials/", import.meta.url);

/**
 * Reads `templates/partials/<name>.hbs` (shared pieces like `{{> button url=… label=…}}`, and the email
 * layout): at start, never at import.
 */
export async function loadPartials(dir: string | URL = defaultPartialsDir): Promise<Record<string, string>> {
  const root = typeof dir === "string" ? dir : fileURLToPath(dir);
  const files = (await readdir(root)).filter((f) => f.endsWith(".hbs")).sort();
  const sources = await Promise.all(files.map((file) => readFile(join(root, file), "utf8")));
  return Object.fromEntries(files.map((file, i) => [file.slice(0, -4), sources[i] as string]));
}

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

/** Renders message templates with the installation's partials and helpers. */
export type Renderer = {
  render(
    template: { subject?: string | null; body: string },
    context: object,
    options?: { layout?: boolean },
  ): Rendered;
};

/**
 * A renderer: handlebars with HTML escaping on, in an isolated instance (no global helpers or
 * partials leak in or out), with the given partials, and a plain-text part derived from the HTML.
 * Built once at start (`loadRenderer`) and carried by the services.
 */
export function createRenderer(partials: Record<string, string>): Renderer {
  const hbs = Handlebars.create();
  for (const [name, source] of Object.entries(partials)) hbs.registerPartial(name, source);
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

  const compiled = new Map<string, HandlebarsTemplateDelegate>();
  /** `text` compiles without HTML escaping: a subject is a plain-text header, not markup. */
  const compile = (source: string, kind: "html" | "text" = "html"): HandlebarsTemplateDelegate => {
    const cacheKey = `${kind}:${source}`;
    let template = compiled.get(cacheKey);
    if (!template) {
      template = hbs.compile(source, { strict: false, noEscape: kind === "text" });
      compiled.set(cacheKey, template);
      if (compiled.size > 500) compiled.delete(compiled.keys().next().value as string);
    }
    return template;
  };

  return {
    render(template, context, options = {}) {
      // Emails get the layout (header, footer with the preferences link) unless they bring their own.
      const wrap = options.layout && !/^\s*<(!doctype|html)/i.test(template.body);
      const html = compile(wrap ? `{{#> layout-email}}${template.body}{{/layout-email}}` : template.body)(
        context,
      );
      return {
        // Any whitespace run, CR and LF included, becomes one space: a value can never add a header.
        ...(template.subject
          ? { subject: compile(template.subject, "text")(context).replace(/\s+/g, " ").trim() }
          : {}),
        html,
        text: htmlToText(html),
      };
    },
  };
}

/** The renderer of the shipped partials (`templates/partials`), or those under `dir`. */
export async function loadRenderer(dir?: string | URL): Promise<Renderer> {
  return createRenderer(await loadPartials(dir));
}

const namedEntities: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
};

/**
 * Decodes the character references HTML allows in text and attribute values: the named ones
 * handlebars and our templates produce, and every numeric one (`&#x3D;`, `&#61;`). Others stay as written.
 */
export function decodeEntities(text: string): string {
  return text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#\d{1,7}|[a-zA-Z]{2,8});/g, (whole, ref: string) => {
    if (ref[0] !== "#") return namedEntities[ref] ?? whole;
    const code = ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
    return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
      ? String.fromCodePoint(code)
      : whole;
  });
}

/** A readable plain-text part: paragraphs and list items on their own lines, links as `label (url)`. */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<(head|style|script)[\s\S]*?<\/\1>/gi, "")
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, (_, href: string, label: string) =>
      label.trim() && label.trim() !== href ? `${label} (${href})` : href,
    )
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<li[^>]*>/gi, "- ")
    .replace(/<\/(p|div|h[1-6]|li|ul|ol|tr)>/gi, "\n")
    .replace(/<[^>]+>/g, "");
  return decodeEntities(text)
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** The template locale for a contact: its language if the template has it, else English, else any. */
export function pickLocale(
  available: string[],
  contactLocale: string | null | undefined,
): string | undefined {
  const language = (contactLocale ?? "en").toLowerCase();
  return (
    available.find((l) => l.toLowerCase() === language) ??
    available.find((l) => l.toLowerCase() === language.split("-")[0]) ??
    available.find((l) => l === "en") ??
    available[0]
  );
}
