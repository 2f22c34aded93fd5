import { Hono } from "hono";
import { setCookie } from "hono/cookie";
import { clientAddressOf } from "../../api/client-address";
import type { AppDeps } from "../../api/context";
import { createTokenBuckets } from "../../api/token-buckets";
import { findCsmOfPerson, saveCsmPreferences } from "../../core/escalations/csm-preferences";
import { CsmLocale } from "../../core/escalations/csms";
import { TimeZone } from "../../core/shared/validators";
import { requestPasswordReset } from "../../core/workspace/password-reset";
import { findPasswordReset, resetPassword, saveLocale } from "../../core/workspace/sessions";
import { getSettings } from "../../core/workspace/settings";
import { changePassword, Password, UserPatch, updateUser } from "../../core/workspace/users";
import type { ConsoleEnv } from "../context";
import { isLocale } from "../i18n";
import { isHtmx, page, requireRole, signedIn } from "../page";
import { CsmSection, type CsmView, PasswordSection, ProfilePage, type Said } from "../pages/profile";
import { NewPasswordForm, ResetExpired, ResetRequestForm } from "../pages/reset-password";

/** Reset links asked for, per client address and per email: a few an hour, never a mail cannon. */
const RESETS_BY_ADDRESS = { limit: 10, windowMs: 15 * 60_000 };
const RESETS_BY_EMAIL = { limit: 3, windowMs: 15 * 60_000 };
const LANGUAGE_COOKIE_AGE = 365 * 86_400;

/**
 * The signed-in person's profile (/app/profile: name, language, their CSM emails' language and time
 * zone, password) and the password reset of a person who forgot theirs (/app/reset-password).
 */
export function profileRoutes(deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();
  const addressOf = clientAddressOf(deps.trustProxy ?? []);
  const resetsByAddress = createTokenBuckets(RESETS_BY_ADDRESS, deps.clock);
  const resetsByEmail = createTokenBuckets(RESETS_BY_EMAIL, deps.clock);

  /** The person's CSM record in this workspace (same email), if they are a CSM. */
  const csmOf = async (workspaceId: string, email: string): Promise<CsmView | null> => {
    const csm = await findCsmOfPerson(deps.db, workspaceId, email);
    if (!csm) return null;
    return { csm, defaultZone: (await getSettings(deps.db, workspaceId)).delivery.defaultTimezone };
  };

  app.use("/app/profile", requireRole("viewer"));
  app.use("/app/profile/*", requireRole("viewer"));

  app.get("/app/profile", async (c) => {
    const user = signedIn(c);
    const t = c.var.t;
    const saved = c.req.query("saved");
    const notices = {
      details: saved === "details" ? { notice: t("profile.saved") } : {},
      csmSaid: saved === "csm" ? { notice: t("profile.csmSaved") } : {},
      passwordSaid: saved === "password" ? { notice: t("profile.passwordChanged") } : {},
    };
    return page(
      c,
      t("profile.title"),
      <ProfilePage
        t={t}
        locale={c.var.locale}
        user={user}
        csm={await csmOf(user.workspaceId, user.email)}
        now={deps.clock.now()}
        {...notices}
      />,
    );
  });

  app.post("/app/profile", async (c) => {
    const user = signedIn(c);
    const form = await c.req.parseBody();
    const patch = UserPatch.pick({ name: true }).safeParse({ name: String(form.name ?? "") });
    if (!patch.success)
      return page(
        c,
        c.var.t("profile.title"),
        <ProfilePage
          t={c.var.t}
          locale={c.var.locale}
          user={user}
          csm={await csmOf(user.workspaceId, user.email)}
          now={deps.clock.now()}
          details={{ error: c.var.t("profile.nameInvalid") }}
        />,
        422,
      );
    await updateUser(deps, user.workspaceId, user.userId, patch.data);
    // Unknown languages are ignored, as by the header's switch.
    if (isLocale(form.locale)) {
      await saveLocale(deps.db, user.userId, form.locale);
      // In the browser too, as the header's switch does, so the sign-in page after sign-out speaks it.
      setCookie(c, "volante_lang", form.locale, {
        path: "/app",
        sameSite: "Lax",
        maxAge: LANGUAGE_COOKIE_AGE,
      });
    }
    return c.redirect("/app/profile?saved=details", 303);
  });

  app.post("/app/profile/csm", async (c) => {
    const user = signedIn(c);
    const t = c.var.t;
    const csm = await csmOf(user.workspaceId, user.email);
    if (!csm) return c.notFound();
    const form = await c.req.parseBody();
    const zone = String(form.timezone ?? "").trim();
    const timezone = zone === "" ? null : TimeZone.safeParse(zone);
    const locale = CsmLocale.safeParse(form.locale);
    const again = (said: Said, shown = csm) =>
      isHtmx(c)
        ? c.html(<CsmSection t={t} locale={c.var.locale} view={shown} now={deps.clock.now()} said={said} />)
        : page(
            c,
            t("profile.title"),
            <ProfilePage
              t={t}
              locale={c.var.locale}
              user={user}
              csm={shown}
              now={deps.clock.now()}
              csmSaid={said}
            />,
            said.error ? 422 : 200,
          );
    if ((timezone && !timezone.success) || !locale.success)
      return again({ error: t("profile.timezoneInvalid") });
    const saved = await saveCsmPreferences(
      deps.db,
      user.workspaceId,
      user.email,
      { locale: locale.data, timezone: timezone?.data ?? null },
      deps.clock.now(),
    );
    if (!saved) return c.notFound();
    if (!isHtmx(c)) return c.redirect("/app/profile?saved=csm", 303);
    return again({ notice: t("profile.csmSaved") }, { ...csm, csm: saved });
  });

  app.post("/app/profile/password", async (c) => {
    const user = signedIn(c);
    const t = c.var.t;
    const form = await c.req.parseBody();
    const current = String(form.current ?? "").slice(0, 200);
    const next = Password.safeParse(String(form.password ?? ""));
    // htmx swaps 2xx answers only: the fragment says what went wrong with a 200.
    const refuse = async (error: string) =>
      isHtmx(c)
        ? c.html(<PasswordSection t={t} said={{ error }} />)
        : page(
            c,
            t("profile.title"),
            <ProfilePage
              t={t}
              locale={c.var.locale}
              user={user}
              csm={await csmOf(user.workspaceId, user.email)}
              now={deps.clock.now()}
              passwordSaid={{ error }}
            />,
            422,
          );
    if (!next.success) return refuse(t("profile.passwordShort"));
    const changed = await changePassword(deps, user, current, next.data);
    if (!changed.ok) return refuse(t("profile.passwordWrong"));
    if (isHtmx(c)) return c.html(<PasswordSection t={t} said={{ notice: t("profile.passwordChanged") }} />);
    return c.redirect("/app/profile?saved=password", 303);
  });

  app.get("/app/reset-password", (c) => page(c, c.var.t("reset.title"), <ResetRequestForm t={c.var.t} />));

  app.post("/app/reset-password", async (c) => {
    const t = c.var.t;
    const form = await c.req.parseBody();
    const email = String(form.email ?? "")
      .trim()
      .toLowerCase()
      .slice(0, 320);
    if (!email.includes("@"))
      return page(
        c,
        t("reset.title"),
        <ResetRequestForm t={t} email={email} said={{ error: t("reset.invalid") }} />,
        422,
      );
    const address = addressOf(c) ?? "";
    const limited = (address && !resetsByAddress.take(address).ok) || !resetsByEmail.take(email).ok;
    if (limited)
      return page(
        c,
        t("reset.title"),
        <ResetRequestForm t={t} email={email} said={{ error: t("reset.tooMany") }} />,
        429,
      );
    // The same answer whether or not the email is a person's: the page tells nobody who is one.
    await requestPasswordReset(deps, email);
    return page(c, t("reset.title"), <ResetRequestForm t={t} said={{ notice: t("reset.sent") }} />);
  });

  app.get("/app/reset-password/new", async (c) => {
    const token = c.req.query("token") ?? "";
    const t = c.var.t;
    if (!(await findPasswordReset(deps, token)))
      return page(c, t("reset.newTitle"), <ResetExpired t={t} />, 404);
    return page(c, t("reset.newTitle"), <NewPasswordForm t={t} token={token} />);
  });

  app.post("/app/reset-password/new", async (c) => {
    const form = await c.req.parseBody();
    const token = String(form.token ?? "");
    const t = c.var.t;
    const password = Password.safeParse(String(form.password ?? ""));
    if (!password.success)
      return page(
        c,
        t("reset.newTitle"),
        <NewPasswordForm t={t} token={token} error={t("profile.passwordShort")} />,
        422,
      );
    const reset = await resetPassword(deps, token, password.data);
    if (!reset.ok) return page(c, t("reset.newTitle"), <ResetExpired t={t} />, 404);
    return c.redirect("/app/sign-in?password-set", 303);
  });

  return app;
}
