import { sql } from "drizzle-orm";
import { builtOnce, type Db } from "../../../../db/client";
import { inAppMessages } from "../../../../db/schema/index";

/**
 * How one in-app message leaves: stored for the widget (in-app-widget.ts serves it), once per touch and
 * contact. The copy is plain text (entities decoded, tags dropped): the widget shows it with
 * textContent, never as HTML.
 */

/**
 * An in-app template is short markdown: a bold first line is the title, a trailing `[label](url)`
 * the call to action, the rest the body. Rendered (and so escaped) before it is split.
 */
export function inAppParts(rendered: string) {
  let text = rendered.trim();
  const title = /^\*\*(.+?)\*\*\s*\n/.exec(text);
  if (title) text = text.slice(title[0].length).trim();
  const cta = /\[([^\]]+)\]\(([^)\s]+)\)\s*$/.exec(text);
  if (cta) text = text.slice(0, cta.index).trim();
  return {
    title: title?.[1] ?? null,
    body: text,
    ctaLabel: cta?.[1] ?? null,
    ctaUrl: cta?.[2] ?? null,
  };
}

export async function storeInAppMessage(
  db: Db,
  m: {
    workspaceId: string;
    contactId: string;
    touchId: string;
    stepId: string;
    template: string;
    style: "banner" | "modal";
    /** The rendered text part. */
    text: string;
  },
): Promise<void> {
  const parts = inAppParts(m.text);
  await inAppInsert(db).execute({
    workspaceId: m.workspaceId,
    contactId: m.contactId,
    touchId: m.touchId,
    stepId: m.stepId,
    template: m.template,
    style: m.style,
    title: parts.title,
    body: parts.body,
    ctaLabel: parts.ctaLabel,
    ctaUrl: parts.ctaUrl,
  });
}

/** Every in-app touch stores one: built once and prepared (decision 0045). */
const inAppInsert = builtOnce((db) => {
  const p = sql.placeholder;
  return db
    .insert(inAppMessages)
    .values({
      workspaceId: p("workspaceId"),
      contactId: p("contactId"),
      touchId: p("touchId"),
      stepId: p("stepId"),
      template: p("template"),
      style: p("style"),
      title: p("title"),
      body: p("body"),
      ctaLabel: p("ctaLabel"),
      ctaUrl: p("ctaUrl"),
    })
    .onConflictDoNothing({ target: [inAppMessages.touchId, inAppMessages.contactId] })
    .prepare("in_app_insert");
});
