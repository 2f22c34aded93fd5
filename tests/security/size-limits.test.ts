import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MAX_ATTRIBUTE_KEYS,
  MAX_ATTRIBUTES_BYTES,
  MAX_ATTRIBUTES_DEPTH,
} from "../../apps/core/shared/validators";
import { startTestStack, type TestStack, type TestWorkspace } from "../harness";

let stack: TestStack;
let ws: TestWorkspace;

beforeAll(async () => {
  stack = await startTestStack({ outboundAllow: [] });
  ws = await stack.newWorkspace();
});
afterAll(async () => {
  await stack?.close();
});

type Problem = { status: number; errors?: { pointer: string; message: string; in?: string }[] };

async function pointersOf(res: Response): Promise<string[]> {
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  return ((await res.json()) as Problem).errors?.map((e) => e.pointer) ?? [];
}

async function refusedAt(res: Response, status: 400 | 422, pointer: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(await pointersOf(res)).toContain(pointer);
}

/** Attributes of about `bytes` bytes as JSON, in one string. */
function weighing(bytes: number): Record<string, string> {
  return { blob: "x".repeat(bytes - 12) };
}

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < levels; i++) value = { inner: value };
  return value;
}

describe("account and contact attributes (issue 14, item 8)", () => {
  it("refuses a 7 MB attribute with 422 at /attributes and stores nothing", async () => {
    const res = await ws.request("PUT", "/v1/accounts/heavy", {
      name: "Heavy KK",
      attributes: { notes: "x".repeat(7 * 1024 * 1024) },
    });
    await refusedAt(res, 422, "/attributes");
    expect((await ws.request("GET", "/v1/accounts/heavy")).status).toBe(404);
  });

  it("takes attributes up to the limit and refuses one byte-ish over it", async () => {
    const fits = await ws.request("PUT", "/v1/accounts/edge", {
      name: "Edge KK",
      attributes: weighing(MAX_ATTRIBUTES_BYTES - 100),
    });
    expect(fits.status).toBe(201);
    const over = await ws.request("PUT", "/v1/accounts/edge", {
      name: "Edge KK",
      attributes: weighing(MAX_ATTRIBUTES_BYTES + 100),
    });
    await refusedAt(over, 422, "/attributes");
  });

  it("counts bytes, not characters: multi-byte text over the limit is refused", async () => {
    // 30,000 three-byte characters: 90 KB as UTF-8, half the limit in UTF-16 units.
    const res = await ws.request("PUT", "/v1/accounts/kanji", {
      name: "Kanji KK",
      attributes: { memo: "漢".repeat(30_000) },
    });
    await refusedAt(res, 422, "/attributes");
  });

  it(`refuses more than ${MAX_ATTRIBUTE_KEYS} keys and more than ${MAX_ATTRIBUTES_DEPTH} levels`, async () => {
    const keys = Object.fromEntries(Array.from({ length: MAX_ATTRIBUTE_KEYS + 1 }, (_, i) => [`k${i}`, i]));
    await refusedAt(
      await ws.request("PUT", "/v1/accounts/keys", { name: "Keys KK", attributes: keys }),
      422,
      "/attributes",
    );
    await refusedAt(
      await ws.request("PUT", "/v1/accounts/deep", {
        name: "Deep KK",
        attributes: nested(MAX_ATTRIBUTES_DEPTH + 1),
      }),
      422,
      "/attributes",
    );
    const deepest = await ws.request("PUT", "/v1/accounts/deep", {
      name: "Deep KK",
      attributes: nested(MAX_ATTRIBUTES_DEPTH),
    });
    expect(deepest.status).toBe(201);
  });

  it("refuses a PATCH whose merged attributes outgrow the limit, leaving the account as it was", async () => {
    const half = MAX_ATTRIBUTES_BYTES / 2 + 1000;
    await ws.request("PUT", "/v1/accounts/grow", { name: "Grow KK", attributes: { a: "x".repeat(half) } });
    const res = await ws.request("PATCH", "/v1/accounts/grow", {
      name: "Renamed",
      attributes: { b: "y".repeat(half) },
    });
    await refusedAt(res, 422, "/attributes");
    const account = (await (await ws.request("GET", "/v1/accounts/grow")).json()) as {
      name: string;
      attributes: Record<string, string>;
    };
    expect(account.name).toBe("Grow KK");
    expect(Object.keys(account.attributes)).toEqual(["a"]);
  });

  it("refuses oversized contact attributes at /attributes", async () => {
    await ws.request("PUT", "/v1/accounts/people", { name: "People KK" });
    const res = await ws.request("PUT", "/v1/accounts/people/contacts/ann", {
      email: "ann@people.example",
      attributes: weighing(MAX_ATTRIBUTES_BYTES + 100),
    });
    await refusedAt(res, 422, "/attributes");
  });

  it("rejects an event whose properties are oversized, naming the item", async () => {
    await ws.request("PUT", "/v1/accounts/events", { name: "Events KK" });
    const res = await ws.request("POST", "/v1/events", {
      events: [
        {
          id: "big-1",
          account: "events",
          name: "login",
          occurredAt: "2026-11-20T09:30:00Z",
          properties: weighing(MAX_ATTRIBUTES_BYTES + 100),
        },
      ],
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { results?: { errors?: { pointer: string }[] }[] };
    const pointers = body.results?.flatMap((r) => r.errors?.map((e) => e.pointer) ?? []) ?? [];
    expect(pointers).toContain("/events/0/properties");
  });
});

describe("free strings and request bodies", () => {
  it("refuses an account name over 300 characters at /name", async () => {
    await refusedAt(await ws.request("PUT", "/v1/accounts/long", { name: "n".repeat(301) }), 422, "/name");
  });

  it("refuses an external id over 200 characters in the path", async () => {
    await refusedAt(
      await ws.request("PUT", `/v1/accounts/${"a".repeat(201)}`, { name: "Long id" }),
      400,
      "/externalId",
    );
  });

  it("refuses an attribute key over 200 characters", async () => {
    const res = await ws.request("PUT", "/v1/accounts/key", {
      name: "Key KK",
      attributes: { ["k".repeat(201)]: 1 },
    });
    expect(res.status).toBe(422);
    expect((await pointersOf(res)).some((p) => p.startsWith("/attributes"))).toBe(true);
  });

  it("refuses an enrollment naming a journey or account over 200 characters", async () => {
    const res = await ws.request("POST", "/v1/enrollments", {
      journey: "j".repeat(201),
      account: "a".repeat(201),
    });
    expect(res.status).toBe(422);
    expect(await pointersOf(res)).toEqual(expect.arrayContaining(["/journey", "/account"]));
  });

  it("answers a body over 8 MB with 413 problem+json", async () => {
    const res = await ws.request("PUT", "/v1/accounts/huge", {
      name: "Huge KK",
      attributes: { notes: "x".repeat(9 * 1024 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });
});

describe("list pages", () => {
  for (const path of ["/v1/accounts", "/v1/accounts/people/contacts"]) {
    it(`bounds ${path} at 200 rows a page: limit=201 is a 400 naming limit`, async () => {
      await ws.request("PUT", "/v1/accounts/people", { name: "People KK" });
      await refusedAt(await ws.request("GET", `${path}?limit=201`), 400, "/limit");
      expect((await ws.request("GET", `${path}?limit=200`)).status).toBe(200);
    });
  }
});
