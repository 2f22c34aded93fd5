import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WidgetKeys } from "../../apps/core/delivery/in-app-widget";
import type { Enrollment } from "../../apps/core/enrollments/schemas";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "../harness";

/**
 * Issue 14's cross-workspace matrix, generated from the OpenAPI document: every operation with a
 * path parameter is called with workspace B's credentials on workspace A's ids. Each gets a fixture
 * below; an operation without one fails the suite, so coverage cannot shrink silently.
 */

let stack: TestStack;
let a: TestWorkspace;
let b: TestWorkspace;
let bWidget: { key: string; account: string; contact: string; hash: string };

/** Workspace A's ids, one per path family. */
type Ids = {
  account: string;
  contact: string;
  journey: string;
  version: number;
  enrollment: string;
  escalation: string;
  template: string;
  csm: string;
  outbox: string;
  message: string;
  renewalDate: string;
  bulkOperation: string;
  user: string;
};
let ids: Ids;

type Call = { path: string; body?: unknown; widget?: true };
type Fixture = {
  call: (ids: Ids) => Call;
  /** 404 for what B cannot see; an upsert creates B's own resource (201, or 200 for a CSM). */
  expect: number;
  /** PUT on a name in B's own namespace: run after every other call, which must still miss. */
  upsert?: true;
};

const fixtures: Record<string, Fixture> = {
  "GET /v1/accounts/{externalId}": { call: (i) => ({ path: `/v1/accounts/${i.account}` }), expect: 404 },
  "PATCH /v1/accounts/{externalId}": {
    call: (i) => ({ path: `/v1/accounts/${i.account}`, body: { name: "Taken by B", attributes: { b: 1 } } }),
    expect: 404,
  },
  "PUT /v1/accounts/{externalId}": {
    call: (i) => ({ path: `/v1/accounts/${i.account}`, body: { name: "B's own account" } }),
    expect: 201,
    upsert: true,
  },
  "DELETE /v1/accounts/{externalId}": { call: (i) => ({ path: `/v1/accounts/${i.account}` }), expect: 404 },
  "GET /v1/accounts/{externalId}/timeline": {
    call: (i) => ({ path: `/v1/accounts/${i.account}/timeline` }),
    expect: 404,
  },
  "PATCH /v1/accounts/{externalId}/contacts/{contactExternalId}": {
    call: (i) => ({
      path: `/v1/accounts/${i.account}/contacts/${i.contact}`,
      body: { email: "spy@b.example" },
    }),
    expect: 404,
  },
  "DELETE /v1/accounts/{externalId}/contacts/{contactExternalId}": {
    call: (i) => ({ path: `/v1/accounts/${i.account}/contacts/${i.contact}` }),
    expect: 404,
  },
  "GET /v1/accounts/{externalId}/contacts": {
    call: (i) => ({ path: `/v1/accounts/${i.account}/contacts` }),
    expect: 404,
  },
  "PUT /v1/accounts/{externalId}/contacts/{contactExternalId}": {
    call: (i) => ({
      path: `/v1/accounts/${i.account}/contacts/${i.contact}`,
      body: { email: "spy@b.example", role: "admin" },
    }),
    expect: 404,
  },
  "GET /v1/accounts/{externalId}/health": {
    call: (i) => ({ path: `/v1/accounts/${i.account}/health` }),
    expect: 404,
  },
  "GET /v1/accounts/{externalId}/renewals": {
    call: (i) => ({ path: `/v1/accounts/${i.account}/renewals` }),
    expect: 404,
  },
  "PUT /v1/accounts/{externalId}/renewals/{renewalDate}": {
    call: (i) => ({ path: `/v1/accounts/${i.account}/renewals/${i.renewalDate}`, body: { arrAfter: 0 } }),
    expect: 404,
  },
  "GET /v1/journeys/{key}": { call: (i) => ({ path: `/v1/journeys/${i.journey}` }), expect: 404 },
  "PUT /v1/journeys/{key}": {
    call: (i) => ({
      path: `/v1/journeys/${i.journey}`,
      body: { name: "B's own journey", trigger: { type: "manual" }, steps: [{ id: "end", type: "exit" }] },
    }),
    expect: 201,
    upsert: true,
  },
  "POST /v1/journeys/{key}/publish": {
    call: (i) => ({ path: `/v1/journeys/${i.journey}/publish` }),
    expect: 404,
  },
  "GET /v1/journeys/{key}/versions": {
    call: (i) => ({ path: `/v1/journeys/${i.journey}/versions` }),
    expect: 404,
  },
  "GET /v1/journeys/{key}/versions/{version}": {
    call: (i) => ({ path: `/v1/journeys/${i.journey}/versions/${i.version}` }),
    expect: 404,
  },
  "POST /v1/journeys/{key}/simulate": {
    call: (i) => ({ path: `/v1/journeys/${i.journey}/simulate`, body: {} }),
    expect: 404,
  },
  "GET /v1/journeys/{key}/stats": { call: (i) => ({ path: `/v1/journeys/${i.journey}/stats` }), expect: 404 },
  "POST /v1/journeys/{key}/pause": {
    call: (i) => ({ path: `/v1/journeys/${i.journey}/pause` }),
    expect: 404,
  },
  "POST /v1/journeys/{key}/resume": {
    call: (i) => ({ path: `/v1/journeys/${i.journey}/resume` }),
    expect: 404,
  },
  "POST /v1/journeys/{key}/archive": {
    call: (i) => ({ path: `/v1/journeys/${i.journey}/archive` }),
    expect: 404,
  },
  "GET /v1/enrollments/{id}": { call: (i) => ({ path: `/v1/enrollments/${i.enrollment}` }), expect: 404 },
  "GET /v1/enrollments/{id}/trace": {
    call: (i) => ({ path: `/v1/enrollments/${i.enrollment}/trace` }),
    expect: 404,
  },
  "POST /v1/enrollments/{id}/exit": {
    call: (i) => ({ path: `/v1/enrollments/${i.enrollment}/exit`, body: { reason: "B says so" } }),
    expect: 404,
  },
  "GET /v1/escalations/{id}": { call: (i) => ({ path: `/v1/escalations/${i.escalation}` }), expect: 404 },
  "POST /v1/escalations/{id}/acknowledge": {
    call: (i) => ({ path: `/v1/escalations/${i.escalation}/acknowledge` }),
    expect: 404,
  },
  "POST /v1/escalations/{id}/resolve": {
    call: (i) => ({ path: `/v1/escalations/${i.escalation}/resolve`, body: { outcome: "exit" } }),
    expect: 404,
  },
  "POST /v1/escalations/{id}/reassign": {
    call: (i) => ({ path: `/v1/escalations/${i.escalation}/reassign`, body: { assignee: "bea@b.example" } }),
    expect: 404,
  },
  "GET /v1/templates/{key}": { call: (i) => ({ path: `/v1/templates/${i.template}` }), expect: 404 },
  "POST /v1/templates/{key}/preview": {
    call: (i) => ({ path: `/v1/templates/${i.template}/preview`, body: {} }),
    expect: 404,
  },
  "PUT /v1/templates/{key}": {
    call: (i) => ({
      path: `/v1/templates/${i.template}`,
      body: { channel: "email", category: "onboarding", subject: "B", body: "<p>B's own</p>" },
    }),
    expect: 201,
    upsert: true,
  },
  "PUT /v1/csms/{email}": {
    call: (i) => ({ path: `/v1/csms/${i.csm}`, body: { name: "B's namesake", tiers: ["tech_touch"] } }),
    expect: 200,
    upsert: true,
  },
  "GET /v1/outbox/{id}": { call: (i) => ({ path: `/v1/outbox/${i.outbox}` }), expect: 404 },
  "GET /v1/bulk-operations/{id}": {
    call: (i) => ({ path: `/v1/bulk-operations/${i.bulkOperation}` }),
    expect: 404,
  },
  "PATCH /v1/users/{id}": {
    call: (i) => ({ path: `/v1/users/${i.user}`, body: { role: "viewer" } }),
    expect: 404,
  },
  "DELETE /v1/users/{id}": { call: (i) => ({ path: `/v1/users/${i.user}` }), expect: 404 },
  "POST /in-app/messages/{id}/{action}": {
    call: (i) => ({ path: `/in-app/messages/${i.message}/clicked`, widget: true }),
    expect: 404,
  },
};

/** Every operation of the API's own OpenAPI document that takes a path parameter. */
async function operationsWithPathIds(): Promise<string[]> {
  const doc = (await (await stack.app.request("/openapi.json")).json()) as {
    paths: Record<string, Record<string, { parameters?: { in: string }[] }>>;
  };
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations)
      .filter(([, op]) => path.includes("{") || op.parameters?.some((p) => p.in === "path"))
      .map(([method]) => `${method.toUpperCase()} ${path}`),
  );
}

async function json<T>(res: Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

function widgetHash(secret: string, account: string, contact: string): string {
  return createHmac("sha256", secret).update(`${account}/${contact}`).digest("hex");
}

/** Everything of A's the matrix could touch, read back with A's own key. */
async function snapshotOfA(): Promise<Record<string, unknown>> {
  const reads = [
    `/v1/accounts/${ids.account}`,
    `/v1/accounts/${ids.account}/contacts`,
    `/v1/accounts/${ids.account}/renewals`,
    `/v1/accounts/${ids.account}/health`,
    `/v1/accounts/${ids.account}/timeline`,
    `/v1/journeys/${ids.journey}`,
    `/v1/journeys/${ids.journey}/versions`,
    `/v1/journeys/${ids.journey}/stats`,
    `/v1/enrollments/${ids.enrollment}`,
    `/v1/enrollments/${ids.enrollment}/trace`,
    `/v1/escalations/${ids.escalation}`,
    `/v1/templates/${ids.template}`,
    "/v1/csms",
    "/v1/users",
    `/v1/outbox/${ids.outbox}`,
    `/v1/bulk-operations/${ids.bulkOperation}`,
  ];
  const snapshot: Record<string, unknown> = {};
  for (const path of reads) {
    const res = await a.request("GET", path);
    snapshot[path] = { status: res.status, body: await res.text() };
  }
  snapshot.widget = await widgetMessagesOfA();
  return snapshot;
}

let aWidget: { key: string; account: string; contact: string; hash: string };
async function widgetMessagesOfA(): Promise<unknown> {
  const res = await stack.app.request(`/in-app/messages?${new URLSearchParams(aWidget)}`);
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  // No SMTP: mail goes to the dev outbox, which `GET /v1/outbox/{id}` reads.
  stack = await startTestStack({ outboundAllow: [] });
  a = await stack.newWorkspace("Workspace A");
  b = await stack.newWorkspace("Workspace B");

  const account = "acme-a";
  const contact = "admin-a";
  const csm = "carla@a.example";
  const template = "a-private-note";
  await a.request("PUT", `/v1/csms/${csm}`, { name: "Carla", tiers: ["tech_touch"] });
  await a.request("PUT", `/v1/accounts/${account}`, {
    name: "Acme A",
    tier: "tech_touch",
    attributes: { secret: "A only" },
  });
  await a.request("PUT", `/v1/accounts/${account}/contacts/${contact}`, {
    email: "ann@acme-a.example",
    role: "admin",
  });
  const renewalDate = "2026-03-31";
  expect(
    (
      await a.request("PUT", `/v1/accounts/${account}/renewals/${renewalDate}`, {
        arrBefore: 1000,
        arrAfter: 1200,
      })
    ).status,
  ).toBeLessThan(300);
  expect(
    (
      await a.request("PUT", `/v1/templates/${template}`, {
        channel: "email",
        category: "onboarding",
        subject: "For A",
        body: "<p>A's own words</p>",
      })
    ).status,
  ).toBe(201);
  await a.request("PUT", "/v1/journeys/a-journey", {
    name: "A's journey",
    trigger: { type: "manual" },
    steps: [
      { id: "mail", type: "email", template, to: "role:admin" },
      { id: "nudge", type: "in_app", template: "first-value-checklist", to: "role:admin" },
      { id: "call", type: "escalate", reason: "A needs a call", sla: "P2D", next: null },
    ],
  });
  expect((await a.request("POST", "/v1/journeys/a-journey/publish")).status).toBe(201);
  const enrolled = await a.request("POST", "/v1/enrollments", { journey: "a-journey", account });
  expect(enrolled.status).toBe(201);
  const enrollment = ((await enrolled.json()) as Enrollment).id;
  await eventually(async () => {
    const e = await json<Enrollment>(a.request("GET", `/v1/enrollments/${enrollment}`));
    return e.status === "completed" ? true : undefined;
  }, "A's enrollment to complete");

  const aKeys = await json<WidgetKeys>(a.request("GET", "/v1/in-app/keys"));
  aWidget = {
    key: aKeys.publishableKey,
    account,
    contact,
    hash: widgetHash(aKeys.identitySecret, account, contact),
  };
  const messages = (await widgetMessagesOfA()) as { body: { data: { id: string }[] } };
  const escalations = await json<{ data: { id: string }[] }>(a.request("GET", "/v1/escalations"));
  const outbox = await eventually(async () => {
    const page = await json<{ data: { id: string }[] }>(a.request("GET", "/v1/outbox"));
    return page.data.length > 0 ? page.data : undefined;
  }, "A's mail in the outbox");

  // A bulk operation of A's, run in the background on request and finished before the matrix.
  const accepted = await a.request(
    "POST",
    "/v1/enrollments/bulk",
    { action: "pause", journey: "a-journey", filter: { accounts: [account] } },
    { prefer: "respond-async" },
  );
  expect(accepted.status).toBe(202);
  const bulkOperation = ((await accepted.json()) as { id: string }).id;
  await eventually(async () => {
    const op = await json<{ status: string }>(a.request("GET", `/v1/bulk-operations/${bulkOperation}`));
    return op.status === "completed" ? true : undefined;
  }, "A's bulk operation to complete");

  // B is a working workspace of its own: a CSM, an account, a contact that may use the widget.
  await b.request("PUT", "/v1/csms/bea@b.example", { name: "Bea", tiers: ["tech_touch"] });
  await b.request("PUT", "/v1/accounts/acme-b", { name: "Acme B" });
  await b.request("PUT", "/v1/accounts/acme-b/contacts/admin-b", {
    email: "bob@acme-b.example",
    role: "admin",
  });
  const bKeys = await json<WidgetKeys>(b.request("GET", "/v1/in-app/keys"));
  bWidget = {
    key: bKeys.publishableKey,
    account: "acme-b",
    contact: "admin-b",
    hash: widgetHash(bKeys.identitySecret, "acme-b", "admin-b"),
  };

  const person = (await (
    await a.request("POST", "/v1/users", {
      email: "una@a.example",
      name: "Una",
      role: "csm",
      password: "a long passphrase",
    })
  ).json()) as { user: { id: string } };

  const [message] = messages.body.data;
  const [escalation] = escalations.data;
  const [mail] = outbox;
  if (!message || !escalation || !mail) throw new Error("A's fixtures are incomplete");
  ids = {
    account,
    contact,
    journey: "a-journey",
    version: 1,
    enrollment,
    escalation: escalation.id,
    template,
    csm,
    outbox: mail.id,
    message: message.id,
    renewalDate,
    bulkOperation,
    user: person.user.id,
  };
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

describe("cross-workspace matrix (issue 14)", () => {
  it("has a fixture for every operation with a path id, and none for an operation that is gone", async () => {
    const operations = await operationsWithPathIds();
    expect(operations.length).toBeGreaterThan(20);
    expect(operations.filter((op) => !(op in fixtures))).toEqual([]);
    expect(Object.keys(fixtures).filter((op) => !operations.includes(op))).toEqual([]);
  });

  it("answers B's key on A's ids with 404 (an upsert makes B's own), and A's data is unchanged", async () => {
    const before = await snapshotOfA();
    // A reads all of it: the comparison below is over real data, not over A's own 404s.
    for (const [read, seen] of Object.entries(before))
      expect((seen as { status: number }).status, read).toBe(200);
    // Every miss first: an upsert creates B's namesake, which later reads by B would then find.
    const ordered = Object.entries(fixtures).sort(([, x], [, y]) => Number(!!x.upsert) - Number(!!y.upsert));
    const answers: Record<string, number> = {};
    const expected: Record<string, number> = {};
    for (const [operation, fixture] of ordered) {
      const [method = "GET"] = operation.split(" ");
      const { path, body, widget } = fixture.call(ids);
      const res = widget
        ? await stack.app.request(`${path}?${new URLSearchParams(bWidget)}`, { method })
        : await b.request(method, path, body);
      answers[operation] = res.status;
      expected[operation] = fixture.expect;
      if (res.status === 404)
        expect(res.headers.get("content-type"), operation).toContain("application/problem+json");
    }
    expect(answers).toEqual(expected);
    expect(await snapshotOfA()).toEqual(before);
  });
});
