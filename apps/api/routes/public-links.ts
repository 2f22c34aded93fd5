import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { html } from "hono/html";
import { secureHeaders } from "hono/secure-headers";
import {
  preferencesOf,
  recordTracking,
  savePreferences,
  unsubscribeOneClick,
  verifyLink,
} from "../../core/delivery/public-links";
import type { AppEnv } from "../context";

/** 1×1 transparent GIF. */
const PIXEL = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");

function page(title: string, body: ReturnType<typeof html>) {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}
label{display:block;margin:.4rem 0}button{font:inherit;padding:.4rem 1rem;margin-top:1rem}</style></head>
<body><h1>${title}</h1>${body}</body></html>`;
}

const invalid = page(
  "This link is not valid",
  html`<p>The link is incomplete or has been changed. Please use the link from the latest email.</p>`,
);

const tooLarge = page(
  "This form is too large",
  html`<p>Please open the link from the email again and save your choices there.</p>`,
);

/** A preferences form is a few checkboxes; nothing legitimate comes near this. */
const MAX_FORM_BYTES = 16 * 1024;

const unreadable = page(
  "This form could not be read",
  html`<p>Please open the link from the email again and save your choices there.</p>`,
);

/**
 * Public, unauthenticated, signed: the preferences page and one-click unsubscribe (RFC 8058), the
 * open pixel and the click redirect. Nothing here answers 500 on a bad token: it gets a clear 400.
 */
export function publicLinksRouter() {
  const router = new Hono<AppEnv>();

  // The preferences pages are never framed, leak no referrer and are never cached. (Not the tracking
  // links: a pixel is loaded cross-origin by mail clients, so no same-origin resource policy there.)
  router.use(
    "/u/*",
    secureHeaders({
      contentSecurityPolicy: { frameAncestors: ["'none'"] },
      referrerPolicy: "no-referrer",
      xFrameOptions: "DENY",
    }),
  );
  router.use("/u/*", async function noStore(c, next) {
    await next();
    c.header("cache-control", "no-store");
  });
  router.use("/u/*", bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => c.html(tooLarge, 413) }));

  /** The preferences page of the link's contact: what they receive, each category a checkbox. */
  async function preferencesPage(c: Context<AppEnv>) {
    const { deps } = c.var;
    const link = await verifyLink(deps.db, "unsubscribe", c.req.param("token") ?? "");
    const prefs =
      link && (await preferencesOf(deps.db, deps.fileTemplates, link.workspaceId, String(link.data.c)));
    if (!link || !prefs) return c.html(invalid, 400);
    return c.html(
      page(
        "Email preferences",
        html`<p>Which emails should <strong>${prefs.email}</strong> receive?</p>
<form method="post">
<input type="hidden" name="preferences" value="1">
${prefs.categories.map(
  (cat) =>
    html`<label><input type="checkbox" name="keep" value="${cat.category}" ${cat.subscribed ? "checked" : ""}> ${cat.category.replaceAll("_", " ")}</label>`,
)}
<label><input type="checkbox" name="all" value="1" ${prefs.all ? "checked" : ""}> Unsubscribe from everything</label>
<button type="submit">Save</button>
</form>`,
      ),
    );
  }

  router.get("/u/:token", preferencesPage);

  router.post("/u/:token", async (c) => {
    const { deps } = c.var;
    const link = await verifyLink(deps.db, "unsubscribe", c.req.param("token"));
    if (!link) return c.html(invalid, 400);
    // A body that claims to be a form and is not one (a multipart without its boundary) is the
    // sender's mistake: a 400 page, not a 500.
    const form = await c.req.parseBody({ all: true }).catch(() => null);
    if (!form) return c.html(unreadable, 400);
    if (form["List-Unsubscribe"] === "One-Click") {
      // A mail provider's one-click POST (RFC 8058: exactly this body): unsubscribe from the email's
      // category, nothing to show.
      await unsubscribeOneClick(deps, link, deps.clock.now());
      return c.text("Unsubscribed", 200);
    }
    // Anything but the page's own form (an empty or JSON body, a crawler) changes nothing: it gets the page.
    if (form.preferences !== "1") return preferencesPage(c);
    const all = form.all === "1";
    const saved = await savePreferences(
      deps,
      deps.fileTemplates,
      link,
      { keep: [form.keep ?? []].flat().map(String), all },
      deps.clock.now(),
    );
    if (!saved) return c.html(invalid, 400);
    return c.html(
      page(
        "Preferences saved",
        html`<p>${all ? "You will not receive any more emails from us." : "Your choices are saved."}</p>`,
      ),
    );
  });

  async function track(c: Context<AppEnv>, kind: "opened" | "clicked") {
    const { deps } = c.var;
    const tracked = await recordTracking(deps, kind, c.req.param("token") ?? "", deps.clock.now());
    return tracked?.link ?? null;
  }

  router.get("/t/o/:token", async (c) => {
    await track(c, "opened");
    // Always the pixel, valid token or not: a mail client shows nothing either way.
    return c.body(PIXEL, 200, { "content-type": "image/gif", "cache-control": "no-store" });
  });

  router.get("/t/c/:token", async (c) => {
    const link = await track(c, "clicked");
    const url = link ? String(link.data.u) : "";
    // Only a URL signed into this message's own link: never an open redirect.
    if (!link || !/^https?:\/\//.test(url)) return c.html(invalid, 400);
    return c.redirect(url, 302);
  });

  return router;
}
