import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { and, eq, type SQL, sql } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResponse } from "../apps/api/routes/events";
import type { Account } from "../apps/core/accounts/accounts";
import type { Contact } from "../apps/core/accounts/contacts";
import type { TimelineItem, TimelinePage } from "../apps/core/accounts/timeline";
import type { Enrollment } from "../apps/core/enrollments/schemas";
import { ingestEvents } from "../apps/core/events/ingest";
import { accountHealth, accounts, contacts, suppressions } from "../db/schema";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "./harness";

/**
 * Issue 15, item 5: erasure of accounts and contacts (nothing personal left in any table or outbox
 * file, unsubscribes kept as keyed hashes, runs exited), PATCH that changes only what it is given,
 * events dated in the future refused per item, and the account timeline.
 */

let stack: TestStack;
let ws: TestWorkspace;

beforeAll(async () => {
  // No SMTP: mail goes to the dev outbox, whose files erasure must remove.
  stack = await startTestStack();
  ws = await stack.newWorkspace("Lifecycle Co");
  // Mails, then waits for an event that never comes: the run stays active until it is made to exit.
  await ws.request("PUT", "/v1/journeys/mail-and-wait", {
    name: "Mail and wait",
    trigger: { type: "manual" },
    steps: [
      { id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" },
      { id: "login", type: "wait_for_event", event: "never_happens", timeout: "P30D", onTimeout: "end" },
      { id: "end", type: "exit" },
    ],
  });
  expect((await ws.request("POST", "/v1/journeys/mail-and-wait/publish")).status).toBe(201);
  await ws.request("PUT", "/v1/journeys/mail-once", {
    name: "Mail once",
    trigger: { type: "manual" },
    steps: [{ id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" }],
  });
  expect((await ws.request("POST", "/v1/journeys/mail-once/publish")).status).toBe(201);
  // A run enters a journey once: the next mail to the same account needs a journey of its own.
  await ws.request("PUT", "/v1/journeys/mail-again", {
    name: "Mail again",
    trigger: { type: "manual" },
    steps: [{ id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" }],
  });
  expect((await ws.request("POST", "/v1/journeys/mail-again/publish")).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

async function json<T>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

type Trace = {
  enrollment: Enrollment;
  trace: { kind: string; stepId: string | null; detail: Record<string, unknown> }[];
};

async function account(id: string, people: { id: string; email: string; name?: string }[]) {
  expect((await ws.request("PUT", `/v1/accounts/${id}`, { name: `${id} Inc.` })).status).toBe(201);
  for (const p of people)
    expect(
      (
        await ws.request("PUT", `/v1/accounts/${id}/contacts/${p.id}`, {
          email: p.email,
          name: p.name ?? null,
          role: "admin",
        })
      ).status,
    ).toBe(201);
}

/** Enrolls the account and waits until the welcome mail's touch is recorded as sent. */
async function enrollAndMail(journey: string, accountId: string): Promise<Trace> {
  const enrolled = await json<Enrollment>(
    ws.request("POST", "/v1/enrollments", { journey, account: accountId }),
  );
  return eventually(async () => {
    const t = await json<Trace>(ws.request("GET", `/v1/enrollments/${enrolled.id}/trace`));
    return t.trace.some((e) => e.kind === "sent" || e.kind === "not_sent") ? t : undefined;
  }, `the welcome of ${accountId}`);
}

async function idOfContact(accountId: string, contactId: string): Promise<string> {
  const [row] = await stack.database.db
    .select({ id: contacts.id })
    .from(contacts)
    .innerJoin(accounts, eq(accounts.id, contacts.accountId))
    .where(
      and(
        eq(accounts.workspaceId, ws.workspaceId),
        eq(accounts.externalId, accountId),
        eq(contacts.externalId, contactId),
      ),
    );
  if (!row) throw new Error(`no contact ${contactId}`);
  return row.id;
}

async function idOfAccount(accountId: string): Promise<string> {
  const [row] = await stack.database.db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, ws.workspaceId), eq(accounts.externalId, accountId)));
  if (!row) throw new Error(`no account ${accountId}`);
  return row.id;
}

async function rows<T>(query: SQL): Promise<T[]> {
  const result = (await stack.database.db.execute(query)) as unknown as { rows?: T[] } | T[];
  return Array.isArray(result) ? result : (result.rows ?? []);
}

/** Every row of every table whose text mentions one of the needles (case-insensitive), by table. */
async function mentions(needles: string[]): Promise<Record<string, string[]>> {
  const tables = await rows<{ table_name: string }>(
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  expect(tables.length).toBeGreaterThan(20);
  const found: Record<string, string[]> = {};
  for (const { table_name } of tables) {
    for (const needle of needles) {
      const hits = await rows<{ row: string }>(
        sql`select t::text as row from ${sql.identifier(table_name)} t where position(${needle.toLowerCase()} in lower(t::text)) > 0`,
      );
      if (hits.length > 0) found[table_name] = [...(found[table_name] ?? []), ...hits.map((h) => h.row)];
    }
  }
  return found;
}

/** The workspace's outbox files, with their contents. */
async function outboxFiles(): Promise<{ name: string; text: string }[]> {
  const dir = join(stack.deps.outboxDir, ws.workspaceId);
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), "utf8") })));
}

/** Unsubscribes the contact from everything its mail's category is, by the one-click POST of RFC 8058. */
async function unsubscribeOneClick(contactId: string): Promise<void> {
  const file = (await outboxFiles()).find((f) => f.name.includes(contactId));
  if (!file) throw new Error(`no outbox file for ${contactId}`);
  const mail = await simpleParser(file.text);
  const line = mail.headerLines.find((h) => h.key === "list-unsubscribe")?.line ?? "";
  const url = new URL(line.replace(/\r?\n\s+/g, "").match(/<([^>]+)>/)?.[1] ?? "");
  const res = await stack.app.request(url.pathname, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "List-Unsubscribe=One-Click",
  });
  expect(res.status).toBe(200);
}

describe("erasing a contact", () => {
  it("leaves nothing of it in any table or outbox file, and the other contact's data stays", async () => {
    await account("erase-c", [
      { id: "gone", email: "gone.person@erase-c.example", name: "Gwendolyn Gone" },
      { id: "kept", email: "kept@erase-c.example" },
    ]);
    const goneId = await idOfContact("erase-c", "gone");
    const first = await enrollAndMail("mail-and-wait", "erase-c");
    expect(JSON.stringify(first.trace)).toContain("gone.person@erase-c.example");
    // What the person did, one event naming them only in its properties.
    const events = await ws.request("POST", "/v1/events", {
      events: [
        {
          id: "gone-login",
          account: "erase-c",
          contact: "gone",
          name: "login",
          occurredAt: "2026-11-20T09:00:00Z",
        },
        {
          id: "gone-form",
          account: "erase-c",
          name: "form_sent",
          occurredAt: "2026-11-20T09:05:00Z",
          properties: { by: "Gone.Person@erase-c.example" },
        },
        {
          id: "kept-login",
          account: "erase-c",
          contact: "kept",
          name: "login",
          occurredAt: "2026-11-20T09:10:00Z",
        },
      ],
    });
    expect(events.status).toBe(200);
    const mailOfGone = (await outboxFiles()).filter((f) => f.name.includes(goneId));
    expect(mailOfGone).toHaveLength(1);
    expect(await mentions(["gone.person@erase-c.example"])).toHaveProperty("contacts");

    const erased = await ws.request("DELETE", "/v1/accounts/erase-c/contacts/gone");
    expect(erased.status).toBe(204);

    expect(await mentions(["gone.person@erase-c.example", goneId, "Gwendolyn Gone"])).toEqual({});
    const files = await outboxFiles();
    expect(files.filter((f) => f.name.includes(goneId) || f.text.includes("gone.person"))).toEqual([]);
    // The other admin's mail, contact and event are untouched; the run goes on.
    expect(files.some((f) => f.text.includes("kept@erase-c.example"))).toBe(true);
    const left = await json<{ data: Contact[] }>(ws.request("GET", "/v1/accounts/erase-c/contacts"));
    expect(left.data.map((c) => c.externalId)).toEqual(["kept"]);
    const trace = await json<Trace>(ws.request("GET", `/v1/enrollments/${first.enrollment.id}/trace`));
    expect(trace.enrollment.status).toBe("active");
    expect(JSON.stringify(trace.trace)).toContain("kept@erase-c.example");
    expect(JSON.stringify(trace.trace)).toContain("[erased]");

    const again = await ws.request("DELETE", "/v1/accounts/erase-c/contacts/gone");
    expect(again.status).toBe(404);
    expect(again.headers.get("content-type")).toContain("application/problem+json");
    expect((await ws.request("DELETE", "/v1/accounts/nobody/contacts/gone")).status).toBe(404);
  });

  it("keeps an unsubscribed address unsubscribed when it returns, and only then", async () => {
    await account("optout-c", [
      { id: "leaver", email: "leaver@optout-c.example" },
      { id: "stayer", email: "stayer@optout-c.example" },
    ]);
    await enrollAndMail("mail-once", "optout-c");
    const leaverId = await idOfContact("optout-c", "leaver");
    await unsubscribeOneClick(leaverId);
    expect((await ws.request("DELETE", "/v1/accounts/optout-c/contacts/leaver")).status).toBe(204);
    // An address that had not unsubscribed leaves no hash behind.
    expect((await ws.request("DELETE", "/v1/accounts/optout-c/contacts/stayer")).status).toBe(204);
    expect(await mentions(["leaver@optout-c.example", leaverId])).toEqual({});

    // Back under another id, spelt with capitals: unsubscribed again; the one that never was is not.
    await ws.request("PUT", "/v1/accounts/optout-c/contacts/back", {
      email: "Leaver@Optout-C.example",
      role: "admin",
    });
    await ws.request("PUT", "/v1/accounts/optout-c/contacts/fresh", {
      email: "stayer@optout-c.example",
      role: "admin",
    });
    const kept = await stack.database.db
      .select({ contact: contacts.externalId, category: suppressions.category, source: suppressions.source })
      .from(suppressions)
      .innerJoin(contacts, eq(contacts.id, suppressions.contactId))
      .where(eq(suppressions.workspaceId, ws.workspaceId));
    expect(kept.filter((k) => k.contact === "back" || k.contact === "fresh")).toEqual([
      { contact: "back", category: "onboarding", source: "erased_address" },
    ]);
    // The arbiter holds the next mail to the returning address.
    const next = await enrollAndMail("mail-again", "optout-c");
    const decisions = next.trace.flatMap(
      (e) => (e.detail.decisions as { to: string; decision: string }[]) ?? [],
    );
    expect(decisions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ to: "Leaver@Optout-C.example", decision: "unsubscribed" }),
        { to: "stayer@optout-c.example", decision: "send" },
      ]),
    );
  });
});

describe("erasing an account", () => {
  it("exits its runs, leaves nothing of it in any table or outbox file, and keeps its unsubscribes", async () => {
    await account("erase-a", [
      { id: "ann", email: "ann@erase-a.example", name: "Annabel Erase" },
      { id: "bo", email: "bo@erase-a.example" },
    ]);
    const accountId = await idOfAccount("erase-a");
    const annId = await idOfContact("erase-a", "ann");
    const run = await enrollAndMail("mail-and-wait", "erase-a");
    expect(run.enrollment.status).toBe("active");
    await unsubscribeOneClick(annId);
    expect((await outboxFiles()).filter((f) => f.text.includes("@erase-a.example"))).toHaveLength(2);
    const handle = stack.client.workflow.getHandle(run.enrollment.workflowId);
    expect((await handle.describe()).status.name).toBe("RUNNING");

    const erased = await ws.request("DELETE", "/v1/accounts/erase-a");
    expect(erased.status).toBe(204);

    // The run left its journey before the data went (it did not fail on missing rows).
    expect((await handle.describe()).status.name).toBe("COMPLETED");
    expect(await handle.result()).toMatchObject({ status: "exited" });
    expect(
      await mentions([
        accountId,
        annId,
        "ann@erase-a.example",
        "bo@erase-a.example",
        "Annabel Erase",
        "erase-a Inc.",
      ]),
    ).toEqual({});
    expect((await outboxFiles()).filter((f) => f.text.includes("@erase-a.example"))).toEqual([]);
    expect((await ws.request("GET", "/v1/accounts/erase-a")).status).toBe(404);
    const again = await ws.request("DELETE", "/v1/accounts/erase-a");
    expect(again.status).toBe(404);
    expect(again.headers.get("content-type")).toContain("application/problem+json");

    // Ann's address comes back on another account: still unsubscribed.
    await account("erase-a2", [{ id: "ann", email: "ann@erase-a.example" }]);
    const back = await stack.database.db
      .select({ category: suppressions.category, source: suppressions.source })
      .from(suppressions)
      .where(eq(suppressions.contactId, await idOfContact("erase-a2", "ann")));
    expect(back).toEqual([{ category: "onboarding", source: "erased_address" }]);

    // And when a CRM sync brings it back with its account, in the account's PUT.
    const synced = await ws.request("PUT", "/v1/accounts/erase-a3", {
      name: "Erase A3",
      contacts: [{ externalId: "ann", email: "ANN@erase-a.example", role: "admin" }],
    });
    expect(synced.status).toBe(201);
    const viaSync = await stack.database.db
      .select({ category: suppressions.category, source: suppressions.source })
      .from(suppressions)
      .where(eq(suppressions.contactId, await idOfContact("erase-a3", "ann")));
    expect(viaSync).toEqual([{ category: "onboarding", source: "erased_address" }]);
  });
});

describe("PATCH changes only what it is given", () => {
  it("keeps an account's other fields, and PUT still replaces them", async () => {
    const full = { name: "Partial", ownerCsm: "carla@vendor.example", licenses: 40, timezone: "Asia/Tokyo" };
    await ws.request("PUT", "/v1/accounts/partial", { ...full, attributes: { plan: "pro" } });
    const patched = await json<Account>(
      ws.request("PATCH", "/v1/accounts/partial", { name: "Partial KK", attributes: { seats: 3 } }),
    );
    expect(patched).toMatchObject({ ...full, name: "Partial KK", attributes: { plan: "pro", seats: 3 } });
    const cleared = await json<Account>(ws.request("PATCH", "/v1/accounts/partial", { ownerCsm: null }));
    expect(cleared).toMatchObject({ ownerCsm: null, licenses: 40, timezone: "Asia/Tokyo" });
    const replaced = await json<Account>(ws.request("PUT", "/v1/accounts/partial", { name: "Partial" }));
    expect(replaced).toMatchObject({ licenses: null, timezone: null, attributes: {} });
  });

  it("keeps a contact's other fields, names a bad one, and misses an unknown contact", async () => {
    await ws.request("PUT", "/v1/accounts/partial-c", { name: "Partial C" });
    await ws.request("PUT", "/v1/accounts/partial-c/contacts/u1", {
      email: "u1@partial.example",
      name: "Yamada",
      role: "champion",
      locale: "ja",
      timezone: "Asia/Tokyo",
      attributes: { team: "ops" },
    });
    const res = await ws.request("PATCH", "/v1/accounts/partial-c/contacts/u1", {
      name: "Yamada Taro",
      attributes: { level: 2 },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      email: "u1@partial.example",
      name: "Yamada Taro",
      role: "champion",
      locale: "ja",
      timezone: "Asia/Tokyo",
      attributes: { team: "ops", level: 2 },
    });
    const bad = await ws.request("PATCH", "/v1/accounts/partial-c/contacts/u1", { email: "not an address" });
    expect(bad.status).toBe(422);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await bad.json()) as { errors: { pointer: string }[] };
    expect(new Set(problem.errors.map((e) => e.pointer))).toEqual(new Set(["/email"]));
    expect((await ws.request("PATCH", "/v1/accounts/partial-c/contacts/nobody", { name: "X" })).status).toBe(
      404,
    );
    expect((await ws.request("PATCH", "/v1/accounts/nowhere/contacts/u1", { name: "X" })).status).toBe(404);
  });
});

describe("events dated in the future", () => {
  it("refuses each one more than 24 hours ahead at its occurredAt, and keeps the others", async () => {
    await ws.request("PUT", "/v1/accounts/future", { name: "Future" });
    const now = Date.now();
    const at = (hours: number) => new Date(now + hours * 3_600_000).toISOString();
    const res = await ws.request("POST", "/v1/events", {
      events: [
        { id: "f-ok", account: "future", name: "login", occurredAt: at(-1) },
        { id: "f-2030", account: "future", name: "login", occurredAt: "2030-01-01T00:00:00Z" },
        { id: "f-skew", account: "future", name: "login", occurredAt: at(23) },
        { id: "f-25h", account: "future", name: "login", occurredAt: at(25) },
      ],
    });
    expect(res.status).toBe(207);
    const body = (await res.json()) as IngestResponse;
    expect(body.results.map((r) => r.status)).toEqual(["accepted", "rejected", "accepted", "rejected"]);
    expect(body.results.flatMap((r) => r.errors ?? []).map((e) => e.pointer)).toEqual([
      "/events/1/occurredAt",
      "/events/3/occurredAt",
    ]);
    const allFuture = await ws.request("POST", "/v1/events", {
      events: [{ id: "f-only", account: "future", name: "login", occurredAt: "2030-01-01T00:00:00Z" }],
    });
    expect(allFuture.status).toBe(422);
    expect(allFuture.headers.get("content-type")).toContain("application/problem+json");
    const account = await eventually(async () => {
      const a = await json<Account>(ws.request("GET", "/v1/accounts/future"));
      return a.lastLoginAt ? a : undefined;
    }, "the login to be folded in");
    expect(Date.parse(account.lastLoginAt ?? "")).toBeLessThanOrEqual(now + 24 * 3_600_000);
    // The bound is the services' clock, not the machine's: in 2030 that date is today.
    const later = await ingestEvents(
      stack.database.db,
      ws.workspaceId,
      [{ id: "f-in-2030", account: "future", name: "login", occurredAt: "2030-01-01T00:00:00Z" }],
      new Date("2030-01-01T00:00:00Z"),
    );
    expect(later.accepted).toBe(1);
  });
});

describe("the account timeline", () => {
  it("lists events, touches with opens, stage and health changes and escalations, newest first, in pages", async () => {
    await ws.request("PUT", "/v1/journeys/mail-and-call", {
      name: "Mail and call",
      trigger: { type: "manual" },
      steps: [
        { id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" },
        { id: "call", type: "escalate", reason: "No login after the welcome", sla: "P2D" },
      ],
    });
    expect((await ws.request("POST", "/v1/journeys/mail-and-call/publish")).status).toBe(201);
    await account("timeline", [{ id: "tina", email: "tina@timeline.example" }]);
    const accountId = await idOfAccount("timeline");
    const tinaId = await idOfContact("timeline", "tina");
    const run = await enrollAndMail("mail-and-call", "timeline");
    await eventually(async () => {
      const e = await json<Enrollment>(ws.request("GET", `/v1/enrollments/${run.enrollment.id}`));
      return e.status === "completed" ? e : undefined;
    }, "the run to complete");
    // Tina opens the welcome (its tracking pixel).
    const file = (await outboxFiles()).find((f) => f.name.includes(tinaId));
    const html = String((await simpleParser(file?.text ?? "")).html);
    const pixel = html.match(/src="http:\/\/localhost:3000(\/t\/o\/[^"]+)"/)?.[1];
    expect((await stack.app.request(pixel ?? "/missing")).status).toBe(200);
    expect((await ws.request("PATCH", "/v1/accounts/timeline", { lifecycleStage: "adoption" })).status).toBe(
      200,
    );
    // Two events at the same instant: paging must neither skip nor repeat one.
    const twin = "2026-11-01T10:00:00.000Z";
    expect(
      (
        await ws.request("POST", "/v1/events", {
          events: [
            { id: "t-a", account: "timeline", name: "login", occurredAt: twin },
            { id: "t-b", account: "timeline", name: "report_viewed", occurredAt: twin },
            { id: "t-c", account: "timeline", name: "login", occurredAt: "2026-10-01T10:00:00.000Z" },
          ],
        })
      ).status,
    ).toBe(200);
    const health = (day: number, score: number, band: "red" | "yellow" | "green") => ({
      workspaceId: ws.workspaceId,
      accountId,
      computedAt: new Date(`2026-10-${String(day).padStart(2, "0")}T00:00:00Z`),
      score,
      band,
      measures: {},
    });
    // Three scoring runs; the second changed nothing and is not a change.
    await stack.database.db
      .insert(accountHealth)
      .values([health(2, 40, "red"), health(3, 40, "red"), health(4, 75, "green")]);

    const all = await eventually(async () => {
      const page = await json<TimelinePage>(ws.request("GET", "/v1/accounts/timeline/timeline?limit=200"));
      const welcome = page.data.find((i) => i.type === "touch" && i.stepId === "welcome");
      return welcome?.type === "touch" && welcome.opens === 1 ? page : undefined;
    }, "the open to reach the timeline");
    expect(all.nextCursor).toBeNull();
    const kinds = (items: TimelineItem[]) => [...new Set(items.map((i) => i.type))].sort();
    expect(kinds(all.data)).toEqual(["escalation", "event", "health_change", "stage_change", "touch"]);
    const times = all.data.map((i) => Date.parse(i.at));
    expect(times).toEqual([...times].sort((x, y) => y - x));
    expect(all.data.filter((i) => i.type === "stage_change")).toMatchObject([
      { from: "onboarding", to: "adoption" },
      { from: null, to: "onboarding" },
    ]);
    expect(all.data.filter((i) => i.type === "health_change")).toMatchObject([
      { score: 75, band: "green", previousScore: 40, previousBand: "red" },
      { score: 40, band: "red", previousScore: null, previousBand: null },
    ]);
    expect(all.data.find((i) => i.type === "touch" && i.stepId === "welcome")).toMatchObject({
      journey: "mail-and-call",
      stepId: "welcome",
      status: "sent",
      recipients: ["tina@timeline.example"],
      opens: 1,
      clicks: 0,
    });
    expect(all.data.find((i) => i.type === "escalation")).toMatchObject({
      reason: "No login after the welcome",
    });
    expect(all.data.filter((i) => i.type === "event" && i.at === twin)).toHaveLength(2);

    // One item a page: the same items in the same order.
    const paged: TimelineItem[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=1&cursor=${cursor}` : "?limit=1";
      const page: TimelinePage = await json<TimelinePage>(
        ws.request("GET", `/v1/accounts/timeline/timeline${query}`),
      );
      expect(page.data.length).toBeLessThanOrEqual(1);
      paged.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor && paged.length <= all.data.length);
    expect(paged).toEqual(all.data);

    const forged = await ws.request("GET", "/v1/accounts/timeline/timeline?cursor=bm90LWEtY3Vyc29y");
    expect(forged.status).toBe(400);
    expect(JSON.stringify(await forged.json())).toContain("cursor");
    expect((await ws.request("GET", "/v1/accounts/nobody/timeline")).status).toBe(404);
  });
});
