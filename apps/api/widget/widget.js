/*
 * Volante in-app widget. No dependencies, no build step: served as is from /widget.js.
 *
 *   <script src="https://volante.example/widget.js"></script>
 *   <script>Volante.init({ key: "pk_…", account: "acme", contact: "u-42", hash: "<from your server>" });</script>
 *
 * Shows the contact's newest unseen message as a banner (or a modal) inside a shadow root, so the
 * page's CSS and ours never meet. Server data is only ever set with textContent, never as HTML.
 * The host element carries data-state (loading|shown|empty|clicked|dismissed|error) and
 * data-message-id, for the page and for tests.
 */
(() => {
  // Only set while this script first runs: the origin that served it is the default API.
  const script = document.currentScript;
  const scriptOrigin = script?.src ? new URL(script.src).origin : window.location.origin;
  const CLICK_WAIT_MS = 1500;
  const HOST_TAG = "volante-widget";

  const STYLES = `
    :host { all: initial; }
    * { box-sizing: border-box; }
    .vl { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #14213d; }
    .banner {
      position: fixed; left: 16px; right: 16px; top: 16px; z-index: 2147483646;
      display: flex; gap: 16px; align-items: center; padding: 12px 16px;
      background: #fff; border: 1px solid #d6dbe6; border-radius: 10px; box-shadow: 0 6px 24px rgba(20, 33, 61, .14);
    }
    .overlay {
      position: fixed; inset: 0; z-index: 2147483646; display: flex; align-items: center; justify-content: center;
      background: rgba(20, 33, 61, .45); padding: 16px;
    }
    .dialog {
      position: relative; max-width: 440px; width: 100%; padding: 24px;
      background: #fff; border-radius: 12px; box-shadow: 0 12px 40px rgba(20, 33, 61, .3);
    }
    .text { flex: 1; min-width: 0; }
    .title { display: block; font-weight: 600; margin: 0 0 2px; font-size: 15px; }
    .dialog .title { font-size: 18px; margin-bottom: 8px; padding-right: 24px; }
    .body { margin: 0; white-space: pre-line; }
    .actions { display: flex; gap: 8px; align-items: center; }
    .dialog .actions { margin-top: 16px; justify-content: flex-end; }
    .cta {
      display: inline-block; padding: 8px 14px; border-radius: 8px; background: #2948ff; color: #fff;
      font-weight: 600; text-decoration: none; white-space: nowrap;
    }
    .cta:focus-visible, .close:focus-visible { outline: 2px solid #2948ff; outline-offset: 2px; }
    .close {
      border: 0; background: transparent; color: #5c6784; cursor: pointer; font-size: 20px; line-height: 1;
      padding: 4px 8px; border-radius: 6px;
    }
    .dialog .close { position: absolute; top: 12px; right: 12px; }
  `;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function webUrl(value) {
    try {
      const url = new URL(String(value));
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch {
      return null;
    }
  }

  function whenBody() {
    if (document.body) return Promise.resolve(document.body);
    return new Promise((resolve) => {
      document.addEventListener("DOMContentLoaded", () => resolve(document.body), { once: true });
    });
  }

  let current = null;

  /** Shows the contact's newest unseen message; resolves to its id, or null when there is none. */
  async function init(options) {
    const opts = options || {};
    for (const field of ["key", "account", "contact", "hash"]) {
      if (typeof opts[field] !== "string" || opts[field] === "") {
        throw new TypeError(`Volante.init: \`${field}\` is required`);
      }
    }
    const api = String(opts.apiUrl || scriptOrigin).replace(/\/+$/, "");
    const creds = { key: opts.key, account: opts.account, contact: opts.contact, hash: opts.hash };

    if (current) current.remove();
    const host = document.createElement(HOST_TAG);
    current = host;
    host.setAttribute("data-state", "loading");
    // Open, not closed: a closed root hides nothing from the page's own scripts, while an open one
    // lets assistive tooling and tests reach the widget. Isolation of styles is the same either way.
    const root = host.attachShadow({ mode: "open" });
    const style = el("style");
    style.textContent = STYLES;
    root.append(style);
    (await whenBody()).append(host);

    const query = new URLSearchParams(creds).toString();
    // Credentials in the query and no body keep the POST a simple CORS request: no preflight, and
    // keepalive works, so a dismissal or a click still reaches us when the page goes away.
    function post(id, action) {
      return fetch(`${api}/in-app/messages/${encodeURIComponent(id)}/${action}?${query}`, {
        method: "POST",
        keepalive: true,
        credentials: "omit",
      });
    }

    let message;
    try {
      const res = await fetch(`${api}/in-app/messages?${query}`, { credentials: "omit" });
      if (!res.ok) throw new Error(`Volante: messages request failed with ${res.status}`);
      const { data } = await res.json();
      message = (Array.isArray(data) ? data : []).find((m) => m && m.status === "unseen");
    } catch (err) {
      host.setAttribute("data-state", "error");
      console.warn(err);
      return null;
    }
    if (!message) {
      host.setAttribute("data-state", "empty");
      return null;
    }

    const modal = message.style === "modal";
    const box = el("div", modal ? "vl dialog" : "vl banner");
    box.setAttribute("role", modal ? "dialog" : "region");
    box.setAttribute("aria-label", message.title || "Message");
    if (modal) box.setAttribute("aria-modal", "true");
    const text = el("div", "text");
    if (message.title) text.append(el("strong", "title", message.title));
    text.append(el("p", "body", message.body));
    const actions = el("div", "actions");
    const close = el("button", "close", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss");
    const url = webUrl(message.ctaUrl);
    let cta = null;
    if (url && message.ctaLabel) {
      cta = el("a", "cta", message.ctaLabel);
      cta.href = url;
      actions.append(cta);
    }
    if (modal) box.append(close, text, actions);
    else {
      actions.append(close);
      box.append(text, actions);
    }
    const frame = modal ? el("div", "overlay") : box;
    if (modal) frame.append(box);
    root.append(frame);
    host.setAttribute("data-message-id", message.id);
    host.setAttribute("data-state", "shown");
    post(message.id, "seen").catch((err) => console.warn(err));

    function end(state) {
      host.setAttribute("data-state", state);
      frame.remove();
      document.removeEventListener("keydown", onKey);
    }
    function onKey(event) {
      if (event.key === "Escape") dismiss();
    }
    function dismiss() {
      end("dismissed");
      post(message.id, "dismissed").catch((err) => console.warn(err));
    }
    close.addEventListener("click", dismiss);
    if (modal) {
      document.addEventListener("keydown", onKey);
      (cta || close).focus();
    }
    cta?.addEventListener("click", (event) => {
      const newTab = event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0;
      const sent = post(message.id, "clicked").catch((err) => console.warn(err));
      end("clicked");
      if (newTab) return;
      // Record the click before leaving the page, but never hold the visitor up for long.
      event.preventDefault();
      const leave = () => window.location.assign(url);
      Promise.race([sent, new Promise((resolve) => setTimeout(resolve, CLICK_WAIT_MS))]).then(leave, leave);
    });
    return message.id;
  }

  window.Volante = Object.freeze({ init });
})();
