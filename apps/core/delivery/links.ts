import { signToken } from "../shared/signing";
import { decodeEntities } from "./html-text";

/**
 * The signed public links of one message to one contact (apps/core/delivery/public-links.ts says what
 * they do when followed), and the rewrite that sends an email's links through them.
 */

export type Links = { unsubscribe: string; page: string; open: string; click: (url: string) => string };

export function linksFor(
  publicUrl: string,
  secret: string,
  m: { workspaceId: string; touchId: string; contactId: string; category: string },
): Links {
  // The touch (`t`) lets the journey's stats count the unsubscribe against the step that sent it.
  const unsubscribe = `${publicUrl}/u/${signToken(secret, "unsubscribe", { w: m.workspaceId, c: m.contactId, k: m.category, t: m.touchId })}`;
  return {
    unsubscribe,
    page: unsubscribe,
    open: `${publicUrl}/t/o/${signToken(secret, "open", { w: m.workspaceId, t: m.touchId, c: m.contactId })}`,
    click: (url) =>
      `${publicUrl}/t/c/${signToken(secret, "click", { w: m.workspaceId, t: m.touchId, c: m.contactId, u: url })}`,
  };
}

/** Links through the signed click redirect (not the unsubscribe link), and an open pixel at the end. */
export function tracked(html: string, links: Links): string {
  const rewritten = html.replace(/href="(https?:\/\/[^"]+)"/g, (whole, url: string) => {
    // The URL the reader should land on, not its HTML spelling (handlebars writes `=` as `&#x3D;`).
    const decoded = decodeEntities(url);
    return decoded === links.unsubscribe ? whole : `href="${links.click(decoded)}"`;
  });
  const pixel = `<img src="${links.open}" width="1" height="1" alt="" style="display:none">`;
  return rewritten.includes("</body>") ? rewritten.replace("</body>", `${pixel}</body>`) : rewritten + pixel;
}
