import Handlebars from "handlebars";

/**
 * Message rendering: handlebars with HTML escaping on, in an isolated instance (no global helpers or
 * partials leak between workspaces), and a plain-text part derived from the HTML.
 */
const hbs = Handlebars.create();
const compiled = new Map<string, HandlebarsTemplateDelegate>();

function compile(source: string): HandlebarsTemplateDelegate {
  let template = compiled.get(source);
  if (!template) {
    template = hbs.compile(source, { strict: false });
    compiled.set(source, template);
    if (compiled.size > 500) compiled.delete(compiled.keys().next().value as string);
  }
  return template;
}

export type Rendered = { subject?: string; html: string; text: string };

export function renderTemplate(
  template: { subject?: string | null; body: string },
  context: object,
): Rendered {
  const html = compile(template.body)(context);
  return {
    ...(template.subject ? { subject: compile(template.subject)(context).replace(/\s+/g, " ").trim() } : {}),
    html,
    text: htmlToText(html),
  };
}

const entities: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#x27;": "'",
  "&#39;": "'",
  "&#x3D;": "=",
  "&#x60;": "`",
  "&nbsp;": " ",
};

/** A readable plain-text part: paragraphs and list items on their own lines, links as `label (url)`. */
export function htmlToText(html: string): string {
  return html
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, (_, href: string, label: string) =>
      label.trim() && label.trim() !== href ? `${label} (${href})` : href,
    )
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<li[^>]*>/gi, "- ")
    .replace(/<\/(p|div|h[1-6]|li|ul|ol|tr)>/gi, "\n")
    .replace(/<[^>]+>/g, "")
    .replace(/&[#\w]+;/g, (e) => entities[e] ?? e)
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
