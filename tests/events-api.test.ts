import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResponse } from "../apps/api/routes/events";
import type { Account } from "../apps/core/accounts/accounts";
import { ingestEvents } from "../apps/core/events/ingest";
import { unroutedBatches } from "../db/schema";
import type { RouteEventsResult } from "../workflows/contracts";
import { startTestStack, type TestStack, type TestWorkspace } from "./harness";

let stack: TestStack;
let ws: TestWorkspace;

beforeAll(async () => {
  stack = await startTestStack();
  ws = await stack.newWorkspace();
  await ws.request("PUT", "/v1/accounts/acme", { name: "Acme" });
  await ws.request("PUT", "/v1/accounts/globex", { name: "Globex" });
  await ws.request("PUT", "/v1/accounts/acme/contacts/u-1", { email: "taro@acme.example" });
});
afterAll(() => stack?.close());

const event = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  account: "acme",
  name: "feature_used",
  occurredAt: "2026-11-20T09:00:00+09:00",
  properties: { feature: "scan" },
  ...extra,
});

async function routed(body: IngestResponse): Promise<RouteEventsResult> {
  expect(body.routing).not.toBeNull();
  return stack.client.workflow.getHandle(body.routing?.workflowId ?? "").result();
}

describe("POST /v1/events", () => {
  it("stores a batch and routes it through a Temporal workflow that updates the account facts", async () => {
    const res = await ws.request("POST", "/v1/events", {
      events: [
        event("e-1", { contact: "u-1", name: "login", occurredAt: "2026-11-20T00:00:00Z" }),
        event("e-2", { occurredAt: "2026-11-21T00:00:00Z" }),
        event("e-3", { account: "globex", name: "login", occurredAt: "2026-11-19T12:00:00Z" }),
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as IngestResponse;
    expect(body).toMatchObject({ accepted: 3, duplicates: 0, rejected: 0 });
    expect(body.results.map((r) => r.status)).toEqual(["accepted", "accepted", "accepted"]);

    expect(await routed(body)).toEqual({ accountsUpdated: 2 });
    const acme = (await (await ws.request("GET", "/v1/accounts/acme")).json()) as Account;
    expect(acme.lastLoginAt).toBe("2026-11-20T00:00:00.000Z");
    expect(acme.lastSeenAt).toBe("2026-11-21T00:00:00.000Z");
    const globex = (await (await ws.request("GET", "/v1/accounts/globex")).json()) as Account;
    expect(globex.lastLoginAt).toBe("2026-11-19T12:00:00.000Z");
  });

  it("is idempotent by event id: a resent batch stores and routes nothing", async () => {
    const res = await ws.request("POST", "/v1/events", { events: [event("e-1"), event("e-2")] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as IngestResponse;
    expect(body).toMatchObject({ accepted: 0, duplicates: 2, rejected: 0, routing: null });
  });

  it("counts a repeated id inside one batch once", async () => {
    const res = await ws.request("POST", "/v1/events", { events: [event("e-10"), event("e-10")] });
    const body = (await res.json()) as IngestResponse;
    expect(body.results.map((r) => r.status)).toEqual(["accepted", "duplicate"]);
    await routed(body);
  });

  it("keeps the valid items of a batch and names every bad field of the others (207)", async () => {
    const res = await ws.request("POST", "/v1/events", {
      events: [
        event("m-1"),
        event("m-2", { occurredAt: "yesterday" }),
        event("m-3", { account: "initech" }),
        { id: "m-4", account: "acme", occurredAt: 12 },
        event("m-5", { contact: "ghost" }),
        event("m-6", { name: "login", occurredAt: "2026-11-22T00:00:00Z" }),
      ],
    });
    expect(res.status).toBe(207);
    const body = (await res.json()) as IngestResponse;
    expect(body).toMatchObject({ accepted: 2, rejected: 4 });
    expect(body.results.map((r) => r.status)).toEqual([
      "accepted",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "accepted",
    ]);
    const pointers = body.results.flatMap((r) => (r.errors ?? []).map((e) => e.pointer));
    expect(pointers).toEqual(
      expect.arrayContaining([
        "/events/1/occurredAt",
        "/events/2/account",
        "/events/3/name",
        "/events/3/occurredAt",
        "/events/4/contact",
      ]),
    );
    await routed(body);
    const acme = (await (await ws.request("GET", "/v1/accounts/acme")).json()) as Account;
    expect(acme.lastLoginAt).toBe("2026-11-22T00:00:00.000Z");
    // The valid ones really were stored: sending them again finds duplicates.
    const again = (await (
      await ws.request("POST", "/v1/events", { events: [event("m-1"), event("m-6")] })
    ).json()) as IngestResponse;
    expect(again.duplicates).toBe(2);
  });

  it("rejects only the items Postgres could not store (NUL characters, year 0000) and keeps the rest", async () => {
    const res = await ws.request("POST", "/v1/events", {
      events: [
        event("n-1"),
        event("n-2", { name: "log\u0000in" }),
        event("n-3", { occurredAt: "0000-01-01T00:00:00Z" }),
        event("n-4", { properties: { nested: { text: "a\u0000b" } } }),
        // Year 1 in its own offset, year 0 in UTC.
        event("n-5", { occurredAt: "0001-01-01T00:30:00+01:00" }),
        event("n-6\u0000"),
        // Storable, but more than a day ahead of the clock (issue 15): refused by the same rule.
        event("n-7", { occurredAt: "9999-12-31T23:59:59Z" }),
      ],
    });
    expect(res.status).toBe(207);
    const body = (await res.json()) as IngestResponse;
    expect(body.results.map((r) => r.status)).toEqual([
      "accepted",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
    ]);
    expect(body.results.flatMap((r) => (r.errors ?? []).map((e) => e.pointer))).toEqual([
      "/events/1/name",
      "/events/2/occurredAt",
      "/events/3/properties/nested/text",
      "/events/4/occurredAt",
      "/events/5/id",
      "/events/6/occurredAt",
    ]);
    await routed(body);
  });

  it("falls back to storing row by row when the database refuses one row of a batch", async () => {
    // A trigger stands in for any refusal validation cannot foresee; it fires for this workspace only.
    const { db } = stack.database;
    const refusing = await stack.newWorkspace();
    await refusing.request("PUT", "/v1/accounts/acme", { name: "Acme" });
    await db.execute(
      sql.raw(`create or replace function test_refuse_poison() returns trigger language plpgsql as $$
        begin
          if new.name = 'poison' and new.workspace_id = '${refusing.workspaceId}' then
            raise exception 'poisoned event' using errcode = '22023';
          end if;
          return new;
        end $$`),
    );
    await db.execute(
      sql.raw(
        "create trigger test_refuse_poison before insert on events for each row execute function test_refuse_poison()",
      ),
    );
    try {
      const res = await refusing.request("POST", "/v1/events", {
        events: [event("p-1"), event("p-2", { name: "poison" }), event("p-3")],
      });
      expect(res.status).toBe(207);
      const body = (await res.json()) as IngestResponse;
      expect(body).toMatchObject({ accepted: 2, rejected: 1 });
      expect(body.results.map((r) => r.status)).toEqual(["accepted", "rejected", "accepted"]);
      expect(body.results[1]?.errors?.map((e) => e.pointer)).toEqual(["/events/1"]);
      await routed(body);

      // Inside a caller's transaction (the in-app endpoints) the retry runs on a savepoint.
      const inTx = await db.transaction((tx) =>
        ingestEvents(
          tx,
          refusing.workspaceId,
          [event("t-1"), event("t-2", { name: "poison" }), event("t-3")],
          new Date(),
        ),
      );
      expect(inTx).toMatchObject({ accepted: 2, rejected: 1 });
    } finally {
      await db.execute(sql.raw("drop trigger test_refuse_poison on events"));
      await db.execute(sql.raw("drop function test_refuse_poison()"));
    }
  });

  it("routes events stored while Temporal was away along with the next batch, and clears their batch", async () => {
    const away = await stack.newWorkspace();
    await away.request("PUT", "/v1/accounts/initech", { name: "Initech" });
    // Stored, but the routing workflow could not be started: nothing folded the login in.
    await ingestEvents(
      stack.database.db,
      away.workspaceId,
      [event("lost-1", { account: "initech", name: "login", occurredAt: "2026-11-18T08:00:00Z" })],
      new Date(),
    );
    await stack.database.db
      .update(unroutedBatches)
      .set({ createdAt: new Date(Date.now() - 5 * 60_000) })
      .where(eq(unroutedBatches.workspaceId, away.workspaceId));
    const before = (await (await away.request("GET", "/v1/accounts/initech")).json()) as Account;
    expect(before.lastLoginAt).toBeNull();

    const res = await away.request("POST", "/v1/events", {
      events: [event("next-1", { account: "initech", occurredAt: "2026-11-19T08:00:00Z" })],
    });
    await routed((await res.json()) as IngestResponse);
    const after = (await (await away.request("GET", "/v1/accounts/initech")).json()) as Account;
    expect(after.lastLoginAt).toBe("2026-11-18T08:00:00.000Z");
    const unrouted = await stack.database.db
      .select({ eventIds: unroutedBatches.eventIds })
      .from(unroutedBatches)
      .where(eq(unroutedBatches.workspaceId, away.workspaceId));
    expect(unrouted).toEqual([]);
  });

  it("answers 422 problem+json when no item is valid", async () => {
    const res = await ws.request("POST", "/v1/events", {
      events: [{ id: "x" }, event("y", { account: "nobody" })],
    });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = (await res.json()) as { errors: { pointer: string }[]; rejected: number };
    expect(body.rejected).toBe(2);
    expect(body.errors.map((e) => e.pointer)).toEqual(
      expect.arrayContaining([
        "/events/0/account",
        "/events/0/name",
        "/events/0/occurredAt",
        "/events/1/account",
      ]),
    );
  });

  it("refuses a batch of more than 1000 events with 413 and stores none of it", async () => {
    const events = Array.from({ length: 1001 }, (_, i) => event(`big-${i}`));
    const res = await ws.request("POST", "/v1/events", { events });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { errors: { pointer: string }[] }).errors[0]?.pointer).toBe("/events");
    const probe = (await (
      await ws.request("POST", "/v1/events", { events: [event("big-0")] })
    ).json()) as IngestResponse;
    expect(probe.accepted).toBe(1);
    await routed(probe);
  });

  it("accepts a full batch of 1000 events", async () => {
    const events = Array.from({ length: 1000 }, (_, i) =>
      event(`full-${i}`, { account: i % 2 ? "acme" : "globex" }),
    );
    const res = await ws.request("POST", "/v1/events", { events });
    expect(res.status).toBe(200);
    const body = (await res.json()) as IngestResponse;
    expect(body.accepted).toBe(1000);
    expect(await routed(body)).toEqual({ accountsUpdated: 2 });
  });

  it("rejects events that are not wrapped in an events array", async () => {
    const res = await ws.request("POST", "/v1/events", [event("bare")]);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { errors: { pointer: string }[] }).errors).toEqual([
      { pointer: "/events", message: "must be a non-empty array of events" },
    ]);
  });
});
