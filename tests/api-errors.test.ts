import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revokeApiKey } from "../apps/core/workspace/api-keys";
import { apiKeys } from "../db/schema";
import { startTestStack, type TestStack, type TestWorkspace } from "./harness";

type ProblemJson = {
  type: string;
  title: string;
  status: number;
  detail?: string;
  requestId?: string;
  errors?: { pointer: string; message: string; in?: string }[];
};

let stack: TestStack;
let ws: TestWorkspace;

beforeAll(async () => {
  stack = await startTestStack();
  ws = await stack.newWorkspace();
});
afterAll(() => stack?.close());

async function expectProblem(res: Response, status: number): Promise<ProblemJson> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const body = (await res.json()) as ProblemJson;
  expect(body.status).toBe(status);
  expect(body.requestId).toBe(res.headers.get("x-request-id"));
  return body;
}

describe("API keys", () => {
  it("answers 401 without a key", async () => {
    const body = await expectProblem(await stack.app.request("/v1/accounts"), 401);
    expect(body.detail).toContain("Bearer");
  });

  it("answers 401 for an unknown key", async () => {
    const res = await stack.app.request("/v1/accounts", {
      headers: { authorization: "Bearer vk_not-a-real-key" },
    });
    await expectProblem(res, 401);
  });

  it("answers 401 once a key is revoked", async () => {
    const victim = await stack.newWorkspace();
    expect((await victim.request("GET", "/v1/accounts")).status).toBe(200);
    const [key] = await stack.database.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.workspaceId, victim.workspaceId));
    expect(await revokeApiKey(stack.database.db, victim.workspaceId, key?.id ?? "", new Date())).toBe(true);
    await expectProblem(await victim.request("GET", "/v1/accounts"), 401);
  });

  it("stores keys only as hashes", async () => {
    const rows = await stack.database.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.workspaceId, ws.workspaceId));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(ws.apiKey);
  });
});

describe("bad input", () => {
  it("answers 400 for malformed JSON", async () => {
    const body = await expectProblem(await ws.request("PUT", "/v1/accounts/acme", '{"name": "Acme",'), 400);
    expect(body.type).toBe("urn:volante:problem:malformed-json");
    await expectProblem(await ws.request("POST", "/v1/events", "{nope"), 400);
  });

  it("answers 422 with a pointer per bad field: wrong types, unknown enum values, unknown fields", async () => {
    const body = await expectProblem(
      await ws.request("PUT", "/v1/accounts/acme", {
        name: "Acme",
        arr: "a lot",
        tier: "platinum",
        timezone: "Mars/Olympus",
        renewalDate: "31/03/2027",
        colour: "red",
      }),
      422,
    );
    const pointers = body.errors?.map((e) => e.pointer).sort();
    expect(pointers).toEqual(["", "/arr", "/renewalDate", "/tier", "/timezone"]);
    expect(body.errors?.find((e) => e.pointer === "")?.message).toContain("colour");
    expect(body.errors?.find((e) => e.pointer === "/tier")?.message).toContain("tech_touch");
  });

  it("answers 422 when a required field is missing", async () => {
    const body = await expectProblem(
      await ws.request("PUT", "/v1/accounts/acme", { tier: "low_touch" }),
      422,
    );
    expect(body.errors?.map((e) => e.pointer)).toEqual(["/name"]);
  });

  it("answers 400 naming a bad query parameter", async () => {
    const body = await expectProblem(await ws.request("GET", "/v1/accounts?limit=lots&stage=asleep"), 400);
    expect(body.errors?.map((e) => [e.in, e.pointer]).sort()).toEqual([
      ["query", "/limit"],
      ["query", "/stage"],
    ]);
  });

  it("answers 400 for a forged pagination cursor instead of failing", async () => {
    const forged = Buffer.from("yesterday\u0000nope").toString("base64url");
    const body = await expectProblem(await ws.request("GET", `/v1/enrollments?cursor=${forged}`), 400);
    expect(body.errors).toEqual([
      { pointer: "/cursor", message: "is not a cursor returned by this list", in: "query" },
    ]);
    await expectProblem(await ws.request("GET", `/v1/outbox?cursor=${forged}`), 400);
  });

  it("answers 404 problem+json for an unknown route", async () => {
    await expectProblem(await ws.request("GET", "/v1/nothing-here"), 404);
  });

  it("refuses a body over the size limit with 413", async () => {
    const huge = JSON.stringify({ name: "x".repeat(9 * 1024 * 1024) });
    await expectProblem(await ws.request("PUT", "/v1/accounts/acme", huge), 413);
  });
});

describe("values the database cannot store", () => {
  it("answers 422 for numbers beyond their columns (arr is numeric(14,2), licenses an integer)", async () => {
    const body = await expectProblem(
      await ws.request("PUT", "/v1/accounts/big", { name: "Big", arr: 1e12, licenses: 3_000_000_000 }),
      422,
    );
    expect(body.errors?.map((e) => e.pointer).sort()).toEqual(["/arr", "/licenses"]);
    await expectProblem(await ws.request("PATCH", "/v1/accounts/big", { licenses: 2 ** 31 }), 422);
    const largest = await ws.request("PUT", "/v1/accounts/big", {
      name: "Big",
      arr: 999_999_999_999.99,
      licenses: 2_147_483_647,
    });
    expect(largest.status).toBe(201);
    expect(await largest.json()).toMatchObject({ arr: 999_999_999_999.99, licenses: 2_147_483_647 });
  });

  it("answers 422 naming each string with a NUL character or a lone surrogate, nested ones too", async () => {
    const account = await expectProblem(
      await ws.request("PUT", "/v1/accounts/nul", {
        name: "Ac\u0000me",
        attributes: { plan: "biz", notes: { history: ["ok", "bad\u0000"] }, broken: "\ud800" },
      }),
      422,
    );
    expect(account.errors?.map((e) => e.pointer)).toEqual([
      "/name",
      "/attributes/notes/history/1",
      "/attributes/broken",
    ]);
    expect(account.errors?.[0]?.message).toContain("NUL");

    expect((await ws.request("PUT", "/v1/accounts/nul", { name: "Acme" })).status).toBe(201);
    const patch = await expectProblem(
      await ws.request("PATCH", "/v1/accounts/nul", { attributes: { "key\u0000": 1 } }),
      422,
    );
    expect(patch.errors?.map((e) => e.pointer)).toEqual(["/attributes/key\u0000"]);
    const contact = await expectProblem(
      await ws.request("PUT", "/v1/accounts/nul/contacts/u-1", { email: "a@nul.example", name: "\u0000" }),
      422,
    );
    expect(contact.errors?.map((e) => e.pointer)).toEqual(["/name"]);
    // %00 in a path: an external id with a control character is refused, not sent to Postgres.
    const path = await expectProblem(await ws.request("PUT", "/v1/accounts/a%00b", { name: "A" }), 400);
    expect(path.errors?.map((e) => [e.in, e.pointer])).toEqual([["path", "/externalId"]]);

    const draft = await expectProblem(
      await ws.request("PUT", "/v1/journeys/nul-draft", {
        name: "Nul",
        trigger: { type: "manual" },
        steps: [{ id: "bye", type: "exit", reason: "done\u0000" }],
      }),
      422,
    );
    expect(draft.errors?.map((e) => e.pointer)).toEqual(["/steps/0/reason"]);
  });

  it("answers 4xx for journey version numbers beyond an integer", async () => {
    const version = await expectProblem(
      await ws.request("GET", "/v1/journeys/any/versions/99999999999"),
      400,
    );
    expect(version.errors?.map((e) => [e.in, e.pointer])).toEqual([["path", "/version"]]);
    const simulate = await expectProblem(
      await ws.request("POST", "/v1/journeys/any/simulate", { version: 99_999_999_999 }),
      422,
    );
    expect(simulate.errors?.map((e) => e.pointer)).toEqual(["/version"]);
  });

  it("answers 400 for an account or contact list cursor it did not issue", async () => {
    expect((await ws.request("PUT", "/v1/accounts/cursor-test", { name: "C" })).status).toBe(201);
    for (const path of ["/v1/accounts", "/v1/accounts/cursor-test/contacts"]) {
      const body = await expectProblem(await ws.request("GET", `${path}?cursor=abc`), 400);
      expect(body.errors).toEqual([
        { pointer: "/cursor", message: "is not a cursor returned by this list", in: "query" },
      ]);
    }
  });
});

describe("system endpoints", () => {
  it("reports healthy when the database and Temporal answer", async () => {
    const res = await stack.app.request("/healthz");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body.status).toBe("ok");
    expect(body.checks.database?.ok).toBe(true);
    expect(body.checks.temporal?.ok).toBe(true);
  });

  it("serves an OpenAPI 3.1 document listing every resource", async () => {
    const doc = (await (await stack.app.request("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/healthz",
        "/v1/accounts",
        "/v1/accounts/{externalId}",
        "/v1/accounts/{externalId}/contacts",
        "/v1/accounts/{externalId}/contacts/{contactExternalId}",
        "/v1/events",
        "/v1/journeys/{key}",
        "/v1/journeys/{key}/publish",
        "/v1/journeys/{key}/simulate",
        "/v1/templates/{key}",
        "/v1/enrollments",
        "/v1/enrollments/{id}/trace",
        "/v1/outbox",
      ]),
    );
    expect(Object.keys(doc.paths["/v1/accounts/{externalId}"] ?? {}).sort()).toEqual([
      "delete",
      "get",
      "patch",
      "put",
    ]);
  });

  it("serves the docs page and its assets without a CDN", async () => {
    const html = await (await stack.app.request("/docs")).text();
    expect(html).toContain("/docs/assets/swagger-ui-bundle.js");
    expect(html).not.toMatch(/https?:\/\//);
    const js = await stack.app.request("/docs/assets/swagger-ui-bundle.js");
    expect(js.status).toBe(200);
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });

  it("exposes Prometheus metrics labelled by route pattern", async () => {
    await ws.request("GET", "/v1/accounts/whatever");
    const text = await (await stack.app.request("/metrics")).text();
    expect(text).toMatch(
      /volante_http_requests_total\{method="GET",route="\/v1\/accounts\/:externalId",status="404"\} \d+/,
    );
  });
});
