import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { clientAddressOf } from "../api/client-address";
import type { AppDeps } from "../api/context";
import { createTokenBuckets } from "../api/token-buckets";
import {
  acceptInvitation,
  findInvitation,
  findSession,
  SESSION_DAYS,
  saveLocale,
  signIn,
  signOut,
  signOutEverywhere,
} from "../core/workspace/sessions";
import { createUser, listUsers, NewUser, Password, UserPatch, updateUser } from "../core/workspace/users";
import { clientBundle } from "./client-bundle";
import type { ConsoleEnv } from "./context";
import { chooseLocale, isLocale, translator } from "./i18n";
import { page, requireRole, signedIn } from "./page";
import { SetPasswordForm, SignInForm } from "./pages/sign-in";
import { UserRow, UsersPage } from "./pages/users";
import { accountsRoutes } from "./routes/accounts";
import { homeRoutes } from "./routes/home";
import { inboxRoutes } from "./routes/inbox";
import { journeyEditorRoutes } from "./routes/journey-editor";
import { journeySimulateRoutes } from "./routes/journey-simulate";
import { journeysRoutes } from "./routes/journeys";
import { profileRoutes } from "./routes/profile";
import { settingsRoutes } from "./routes/settings";
import { templatesRoutes } from "./routes/templates";
import { traceRoutes } from "./routes/trace";

const SESSION_COOKIE = "volante_session";
const LANGUAGE_COOKIE = "volante_lang";
/** Console forms are a few fields. */
const FORM_BYTES = 64 * 1024;
/** Failed sign-ins allowed per client address and per email, per minute. */
const SIGN_IN_FAILURES = { limit: 10, windowMs: 60_000 };

const require = createRequire(import.meta.url);
/** Files served at /app/static/: read at start, or built on first request (the browser code). */
const staticFiles: Record<string, { body: string | (() => Promise<string>); type: string }> = {
  "htmx.min.js": {
    body: readFileSync(require.resolve("htmx.org/dist/htmx.min.js"), "utf8"),
    type: "text/javascript; charset=utf-8",
  },
  "chart.umd.min.js": {
    body: readFileSync(join(dirname(require.resolve("chart.js")), "chart.umd.min.js"), "utf8"),
    type: "text/javascript; charset=utf-8",
  },
  "charts.js": {
    body: readFileSync(new URL("./static/charts.js", import.meta.url), "utf8"),
    type: "text/javascript; charset=utf-8",
  },
  "editor.js": { body: clientBundle("editor.ts"), type: "text/javascript; charset=utf-8" },
  "console.css": {
    body: readFileSync(new URL("./static/console.css", import.meta.url), "utf8"),
    type: "text/css; charset=utf-8",
  },
};

/**
 * The console at /app (docs/decisions/0035): pages rendered on the server with Hono's JSX, htmx from
 * this app for the parts that update in place. Pages call the same core use cases as the API.
 */
export function consoleRouter(deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();
  const addressOf = clientAddressOf(deps.trustProxy ?? []);
  const failuresByAddress = createTokenBuckets(SIGN_IN_FAILURES, deps.clock);
  const failuresByEmail = createTokenBuckets(SIGN_IN_FAILURES, deps.clock);
  const publicOrigin = new URL(deps.publicUrl).origin;

  app.get("/", (c) => c.redirect("/app", 302));

  app.get("/app/static/:file", async (c) => {
    const file = staticFiles[c.req.param("file")];
    if (!file) return c.notFound();
    const body = typeof file.body === "string" ? file.body : await file.body();
    c.header("Cache-Control", "public, max-age=3600");
    c.header("X-Content-Type-Options", "nosniff");
    return c.body(body, 200, { "Content-Type": file.type });
  });

  app.use(
    "/app/*",
    securityHeaders(),
    bodyLimit({ maxSize: FORM_BYTES }),
    csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || origin === publicOrigin }),
  );
  app.use("/app", securityHeaders());
  app.use("/app/*", session(deps));
  app.use("/app", session(deps));

  app.get("/app/sign-in", (c) => {
    if (c.var.user) return c.redirect("/app", 302);
    const notice = c.req.query("password-set") !== undefined ? c.var.t("setPassword.done") : undefined;
    return page(c, c.var.t("signIn.title"), <SignInForm t={c.var.t} {...(notice ? { notice } : {})} />);
  });

  app.post("/app/sign-in", async (c) => {
    const form = await c.req.parseBody();
    const email = String(form.email ?? "")
      .trim()
      .toLowerCase()
      .slice(0, 320);
    const password = String(form.password ?? "").slice(0, 200);
    const address = addressOf(c) ?? "";
    const t = c.var.t;
    const limited = (address && !failuresByAddress.check(address).ok) || !failuresByEmail.check(email).ok;
    if (limited)
      return page(c, t("signIn.title"), <SignInForm t={t} email={email} error={t("signIn.tooMany")} />, 429);
    const signed = await signIn(deps, email, password);
    if (!signed) {
      if (address) failuresByAddress.charge(address);
      failuresByEmail.charge(email);
      return page(c, t("signIn.title"), <SignInForm t={t} email={email} error={t("signIn.failed")} />, 401);
    }
    setCookie(c, SESSION_COOKIE, signed.token, {
      path: "/",
      httpOnly: true,
      sameSite: "Lax",
      secure: isHttps(c, deps),
      maxAge: SESSION_DAYS * 86_400,
    });
    return c.redirect("/app", 303);
  });

  app.post("/app/sign-out", async (c) => {
    if (c.var.user) await signOut(deps, c.var.user.sessionId);
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c, deps) });
    return c.redirect("/app/sign-in", 303);
  });

  app.post("/app/sign-out-everywhere", async (c) => {
    if (c.var.user) await signOutEverywhere(deps, c.var.user.userId);
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c, deps) });
    return c.redirect("/app/sign-in", 303);
  });

  /**
   * Back to the console page the switch was on, with its query (a list's filters): a path under
   * /app on this origin, never an open redirect; anything else is /app.
   */
  const consolePage = (next: string): string => {
    const base = "http://console.invalid";
    try {
      const url = new URL(next, base);
      const under = url.pathname === "/app" || url.pathname.startsWith("/app/");
      return next.startsWith("/") && url.origin === base && under ? `${url.pathname}${url.search}` : "/app";
    } catch {
      return "/app";
    }
  };

  app.post("/app/language", async (c) => {
    const form = await c.req.parseBody();
    const locale = form.locale;
    const next = String(form.next ?? "/app");
    if (isLocale(locale)) {
      // Saved on the person, and in the browser too so the sign-in page after sign-out speaks it.
      if (c.var.user) await saveLocale(deps.db, c.var.user.userId, locale);
      setCookie(c, LANGUAGE_COOKIE, locale, { path: "/app", sameSite: "Lax", maxAge: 365 * 86_400 });
    }
    return c.redirect(consolePage(next), 303);
  });

  app.get("/app/set-password", async (c) => {
    const token = c.req.query("token") ?? "";
    const t = c.var.t;
    if (!(await findInvitation(deps, token)))
      return page(
        c,
        t("setPassword.title"),
        <p class="error" role="alert">
          {t("setPassword.expired")}
        </p>,
        404,
      );
    return page(c, t("setPassword.title"), <SetPasswordForm t={t} token={token} />);
  });

  app.post("/app/set-password", async (c) => {
    const form = await c.req.parseBody();
    const token = String(form.token ?? "");
    const t = c.var.t;
    const password = Password.safeParse(String(form.password ?? ""));
    if (!password.success)
      return page(
        c,
        t("setPassword.title"),
        <SetPasswordForm t={t} token={token} error={t("setPassword.hint")} />,
        422,
      );
    const accepted = await acceptInvitation(deps, token, password.data);
    if (!accepted.ok)
      return page(
        c,
        t("setPassword.title"),
        <p class="error" role="alert">
          {t("setPassword.expired")}
        </p>,
        404,
      );
    return c.redirect("/app/sign-in?password-set", 303);
  });

  app.use("/app/users/*", requireRole("admin"));
  app.use("/app/users", requireRole("admin"));

  app.get("/app/users", async (c) => {
    const user = signedIn(c);
    const invited = c.req.query("invited");
    return page(
      c,
      c.var.t("users.title"),
      <UsersPage
        t={c.var.t}
        users={await listUsers(deps.db, user.workspaceId)}
        selfId={user.userId}
        {...(invited ? { notice: `${c.var.t("users.invitedNotice")} ${invited}` } : {})}
      />,
    );
  });

  app.post("/app/users", async (c) => {
    const user = signedIn(c);
    const form = await c.req.parseBody();
    const t = c.var.t;
    const input = {
      email: String(form.email ?? "").trim(),
      name: String(form.name ?? ""),
      role: String(form.role ?? ""),
    };
    const parsed = NewUser.safeParse(input);
    const again = async (error: string, status: 409 | 422) =>
      page(
        c,
        t("users.title"),
        <UsersPage
          t={t}
          users={await listUsers(deps.db, user.workspaceId)}
          selfId={user.userId}
          error={error}
        />,
        status,
      );
    if (!parsed.success) return again(t("users.invalid"), 422);
    const created = await createUser(deps, user.workspaceId, parsed.data);
    if (!created.ok) return again(t("users.taken"), 409);
    return c.redirect(`/app/users?invited=${encodeURIComponent(created.user.email)}`, 303);
  });

  app.post("/app/users/:id", async (c) => {
    const user = signedIn(c);
    const form = await c.req.parseBody();
    const patch = UserPatch.safeParse({
      ...(form.role !== undefined ? { role: form.role } : {}),
      ...(form.disabled !== undefined ? { disabled: form.disabled === "true" } : {}),
    });
    const t = c.var.t;
    if (!patch.success) return c.text(t("users.invalid"), 422);
    const id = c.req.param("id");
    const result = await updateUser(deps, user.workspaceId, id, patch.data);
    const htmx = c.req.header("HX-Request") === "true";
    if (!result.ok) {
      if (result.refusal === "not_found") return c.notFound();
      const current = (await listUsers(deps.db, user.workspaceId)).find((u) => u.id === id);
      if (htmx && current)
        return c.html(
          <UserRow t={t} user={current} self={id === user.userId} error={t("users.lastAdmin")} />,
          200,
        );
      return page(
        c,
        t("users.title"),
        <UsersPage
          t={t}
          users={await listUsers(deps.db, user.workspaceId)}
          selfId={user.userId}
          error={t("users.lastAdmin")}
        />,
        409,
      );
    }
    if (htmx) return c.html(<UserRow t={t} user={result.user} self={id === user.userId} />, 200);
    return c.redirect("/app/users", 303);
  });

  app.route("/", homeRoutes(deps));
  app.route("/", inboxRoutes(deps));
  app.route("/", accountsRoutes(deps));
  app.route("/", profileRoutes(deps));
  app.route("/", traceRoutes(deps));
  // Before journeysRoutes: its POST /app/journeys/:key/:action would answer edit and validate with 404.
  app.route("/", journeyEditorRoutes(deps));
  app.route("/", journeysRoutes(deps));
  app.route("/", journeySimulateRoutes(deps));
  app.route("/", templatesRoutes(deps));
  app.route("/", settingsRoutes(deps));
  return app;
}

/** Who is signed in (a live session cookie) and which language the page speaks. */
function session(deps: AppDeps): MiddlewareHandler<ConsoleEnv> {
  return async function consoleSession(c, next) {
    if (c.get("locale")) return next();
    const token = getCookie(c, SESSION_COOKIE);
    const user = token ? ((await findSession(deps, token)) ?? undefined) : undefined;
    c.set("user", user);
    const locale = chooseLocale(user?.locale, getCookie(c, LANGUAGE_COOKIE), c.req.header("accept-language"));
    c.set("locale", locale);
    c.set("t", translator(locale));
    await next();
  };
}

/** No inline script, nothing from elsewhere, never framed, never cached (pages show who is signed in). */
function securityHeaders(): MiddlewareHandler<ConsoleEnv> {
  return async function consoleSecurityHeaders(c, next) {
    await next();
    // A response with its own policy keeps it: the template preview frame (routes/templates.tsx).
    if (!c.res.headers.has("Content-Security-Policy")) {
      c.header(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
      );
      c.header("X-Frame-Options", "DENY");
    }
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "same-origin");
    c.header("Cache-Control", "no-store");
  };
}

/** Secure cookies when the console is served over https: the public URL says so, or a trusted proxy does. */
function isHttps(c: Context, deps: AppDeps): boolean {
  if (deps.publicUrl.startsWith("https:")) return true;
  return (deps.trustProxy?.length ?? 0) > 0 && c.req.header("x-forwarded-proto") === "https";
}
