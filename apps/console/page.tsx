import type { Context, MiddlewareHandler } from "hono";
import type { Child } from "hono/jsx";
import { type Role, roleAtLeast } from "../core/workspace/roles";
import type { SignedIn } from "../core/workspace/sessions";
import type { ConsoleEnv } from "./context";
import { Layout } from "./layout";

export type PageStatus = 200 | 401 | 403 | 404 | 409 | 422 | 429;

/** A whole console page: the layout around `body`, in the person's language. */
export function page(c: Context<ConsoleEnv>, title: string, body: Child, status: PageStatus = 200) {
  return c.html(
    <Layout
      t={c.var.t}
      locale={c.var.locale}
      title={title}
      user={c.var.user}
      path={c.req.path}
      here={hereOf(c.req.url)}
    >
      {body}
    </Layout>,
    status,
  );
}

/** The page's path with its query (the accounts list's filters), where the language switch returns. */
function hereOf(url: string): string {
  const { pathname, search } = new URL(url);
  return `${pathname}${search}`;
}

/** Whether this request came from htmx (answer a fragment) or a plain form or link (answer a page). */
export function isHtmx(c: Context): boolean {
  return c.req.header("HX-Request") === "true";
}

/** The signed-in person of a route behind `requireRole`. */
export function signedIn(c: Context<ConsoleEnv>): SignedIn {
  const user = c.var.user;
  if (!user) throw new Error("signedIn() outside requireRole()");
  return user;
}

/** Signed out → the sign-in page; signed in with a lesser role → a 403 page saying so. */
export function requireRole(minimum: Role): MiddlewareHandler<ConsoleEnv> {
  return async function requireConsoleRole(c, next) {
    const user = c.var.user;
    if (!user) return c.redirect("/app/sign-in", 302);
    if (!roleAtLeast(user.role, minimum))
      return page(c, c.var.t("forbidden.title"), <p>{c.var.t("forbidden.body")}</p>, 403);
    await next();
  };
}
