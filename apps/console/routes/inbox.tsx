import { createHash } from "node:crypto";
import { type Context, Hono } from "hono";
import type { AppDeps } from "../../api/context";
import {
  acknowledgeEscalation,
  type EscalationChange,
  reassignEscalation,
  resolveEscalation,
} from "../../core/escalations/actions";
import {
  getInboxItem,
  InboxFilter,
  type InboxItem,
  inboxReader,
  listInbox,
} from "../../core/escalations/inbox";
import { roleAtLeast } from "../../core/workspace/roles";
import type { ConsoleEnv } from "../context";
import { LanguageReturn } from "../layout";
import { page, requireRole, signedIn } from "../page";
import { InboxPage, InboxRows, type InboxView, viewQuery } from "../pages/inbox";
import { EscalationCard, type RowContext } from "../pages/inbox-row";

type C = Context<ConsoleEnv>;

/** Where an action without script goes back to: only an inbox view, never elsewhere. */
const BACK = /^\/app\/inbox(\?[\w=&%.@+-]*)?$/;
const RESOLUTION = /^[a-z][a-z0-9_]{0,63}$/;
const NOTES_MAX = 5000;

/**
 * The CSM's inbox at /app/inbox: every signed-in role reads it, csm and above act on escalations
 * through the same core use cases as the API (core/escalations/actions.ts).
 */
export function inboxRoutes(deps: AppDeps) {
  const app = new Hono<ConsoleEnv>();
  app.use("/app/inbox", requireRole("viewer"));
  app.use("/app/inbox/*", requireRole("viewer"));

  /** How the signed-in person reads the cards: language, zone, whether they may act, whom to reassign to. */
  async function rowContext(c: C, back: string) {
    const user = signedIn(c);
    const reader = await inboxReader(deps.db, user.workspaceId, user.email);
    const ctx: RowContext = {
      t: c.var.t,
      reading: { locale: c.var.locale, timeZone: user.timeZone, now: deps.clock.now() },
      canAct: roleAtLeast(user.role, "csm"),
      csms: reader.csms,
      back,
    };
    return { ctx, isCsm: reader.isCsm };
  }

  /** What the page needs to read: the view from the query (defaults applied), the cards' context, the list. */
  async function load(c: C, query: Record<string, string>) {
    const user = signedIn(c);
    const filter = InboxFilter.parse(query);
    const { ctx: base, isCsm } = await rowContext(c, "/app/inbox");
    // A CSM opens on their own escalations; anyone who is a CSM may ask for theirs.
    const owner =
      filter.owner === "mine" && !isCsm
        ? "all"
        : (filter.owner ?? (isCsm && user.role === "csm" ? "mine" : "all"));
    const view: InboxView = {
      status: filter.status ?? "unresolved",
      priority: filter.priority ?? "any",
      tier: filter.tier ?? "any",
      owner,
      sort: filter.sort ?? "deadline",
    };
    const assignee =
      owner === "mine" ? user.email : owner === "none" ? null : owner === "all" ? undefined : owner;
    const items = await listInbox(
      deps.db,
      user.workspaceId,
      {
        status: view.status,
        sort: view.sort,
        ...(filter.priority ? { priority: filter.priority } : {}),
        ...(filter.tier ? { tier: filter.tier } : {}),
        ...(assignee !== undefined ? { assignee } : {}),
      },
      base.reading.now,
    );
    const ctx: RowContext = { ...base, back: `/app/inbox?${viewQuery(view)}` };
    return { view, items, ctx, isCsm };
  }

  async function inboxPage(
    c: C,
    query: Record<string, string>,
    error?: { message: string; status: 409 | 422 },
  ) {
    const { view, items, ctx, isCsm } = await load(c, query);
    return page(
      c,
      c.var.t("inbox.title"),
      <InboxPage
        ctx={ctx}
        view={view}
        items={items}
        version={versionOf(items)}
        isCsm={isCsm}
        {...(error ? { error: error.message } : {})}
      />,
      error?.status ?? 200,
    );
  }

  app.get("/app/inbox", async (c) => {
    const query = c.req.query();
    if (!isFragmentRequest(c)) return inboxPage(c, query);
    const { view, items, ctx } = await load(c, query);
    const version = versionOf(items);
    // The poll of an unchanged list: htmx swaps nothing on a 204.
    if (query.v === version) return c.body(null, 204);
    return c.html(
      <>
        <InboxRows ctx={ctx} view={view} items={items} version={version} />
        <LanguageReturn here={`/app/inbox?${viewQuery(view)}`} swap />
      </>,
    );
  });

  /**
   * An action's answer: with htmx the escalation's card as it is now (with the error when refused, so
   * the person sees why in place); without script back to the inbox view, or the page with the error.
   */
  async function answer(c: C, id: string, back: string, result: EscalationChange | { invalid: string }) {
    const t = c.var.t;
    if ("ok" in result && !result.ok && result.refusal === "not_found") return c.notFound();
    const error =
      "invalid" in result
        ? { message: result.invalid, status: 422 as const }
        : result.ok
          ? undefined
          : result.refusal === "invalid"
            ? { message: t("inbox.noSuchCsm"), status: 422 as const }
            : { message: t("inbox.conflict"), status: 409 as const };
    if (!isFragmentRequest(c)) {
      if (!error) return c.redirect(back, 303);
      return inboxPage(c, Object.fromEntries(new URL(back, "http://console").searchParams), error);
    }
    const user = signedIn(c);
    const item = await getInboxItem(deps.db, user.workspaceId, id, deps.clock.now());
    if (!item) return c.notFound();
    const { ctx } = await rowContext(c, back);
    return c.html(
      <EscalationCard
        ctx={ctx}
        item={item}
        {...(error ? { error: error.message } : { notice: t("inbox.done") })}
      />,
    );
  }

  async function formOf(c: C) {
    const form = await c.req.parseBody();
    const field = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : "");
    const back = field("back");
    return { field, back: BACK.test(back) ? back : "/app/inbox" };
  }

  app.post("/app/inbox/:id/acknowledge", requireRole("csm"), async (c) => {
    const { back } = await formOf(c);
    const id = c.req.param("id");
    const result = await acknowledgeEscalation(deps.db, signedIn(c).workspaceId, id, deps.clock.now());
    return answer(c, id, back, result);
  });

  app.post("/app/inbox/:id/reassign", requireRole("csm"), async (c) => {
    const { field, back } = await formOf(c);
    const id = c.req.param("id");
    const assignee = field("assignee").trim().toLowerCase().slice(0, 254);
    const result = await reassignEscalation(deps, signedIn(c).workspaceId, id, assignee, deps.clock.now());
    return answer(c, id, back, result);
  });

  app.post("/app/inbox/:id/resolve", requireRole("csm"), async (c) => {
    const { field, back } = await formOf(c);
    const id = c.req.param("id");
    const t = c.var.t;
    const outcome = field("outcome") === "exit" ? "exit" : "resume";
    const resolution = field("resolution").trim();
    const notes = field("notes").trim();
    if (resolution && !RESOLUTION.test(resolution))
      return answer(c, id, back, { invalid: t("inbox.invalidResolution") });
    if (notes.length > NOTES_MAX) return answer(c, id, back, { invalid: t("inbox.notesTooLong") });
    const result = await resolveEscalation(
      { ...deps, delivery: deps },
      signedIn(c).workspaceId,
      id,
      outcome,
      notes || undefined,
      resolution || undefined,
      deps.clock.now(),
    );
    return answer(c, id, back, result);
  });

  return app;
}

/** htmx asking for a part of the page; a history restore wants the whole page. */
function isFragmentRequest(c: C): boolean {
  return c.req.header("HX-Request") === "true" && c.req.header("HX-History-Restore-Request") !== "true";
}

/** What the list shows, in a few characters: the poll compares it to know whether anything changed. */
function versionOf(items: InboxItem[]): string {
  const shown = items.map((i) => [i.id, i.status, i.assignee, i.breached, i.account.healthScore]);
  return createHash("sha256").update(JSON.stringify(shown)).digest("base64url").slice(0, 16);
}
