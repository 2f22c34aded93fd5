import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeCursor } from "../apps/core/shared/pagination";
import { signToken } from "../apps/core/shared/signing";
import { workspaces } from "../db/schema";
import { startTestStack, type TestStack, type TestWorkspace } from "./harness";

// Requests schemathesis (fuzzing the running API against its own OpenAPI document) found answered
// 500, and the field they must name instead.

type ProblemJson = {
  type: string;
  status: number;
  errors?: { pointer: string; message: string; in?: string }[];
};

let stack: TestStack;
let ws: TestWorkspace;

beforeAll(async () => {
  stack = await startTestStack();
  ws = await stack.newWorkspace();
  expect((await ws.request("PUT", "/v1/accounts/acme", { name: "Acme", arr: 1000 })).status).toBe(201);
});
afterAll(() => stack?.close());

async function problemAt(res: Response, status: number): Promise<[string | undefined, string][]> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const body = (await res.json()) as ProblemJson;
  expect(body.type).toBe("urn:volante:problem:validation");
  return (body.errors ?? []).map((e) => [e.in, e.pointer]);
}

const measure = {
  key: "roi",
  group: "roi",
  metric: "roi.attribute",
  weight: 10,
  curve: { zero: 0, full: 1 },
};
const scorecard = (extra: Record<string, unknown>) => ({
  measures: [measure],
  bands: { red: 40, yellow: 70 },
  ...extra,
});
const notUuid = "-".repeat(36);
const someUuid = "00000000-0000-4000-8000-000000000000";

describe("text Postgres cannot store, in every part of every request", () => {
  it("answers 422 naming each body field with a NUL or a lone surrogate", async () => {
    const cases: [string, string, unknown, string[]][] = [
      [
        "PUT",
        "/v1/templates/nul-welcome",
        { channel: "email", category: "onboarding", subject: "Hi\u0000", body: "<p>\ud800</p>" },
        ["/subject", "/body"],
      ],
      ["PUT", "/v1/csms/nul@vendor.example", { name: "Ha\u0000nako" }, ["/name"]],
      ["PUT", "/v1/health/scorecard", scorecard({ roiEvents: ["won\u0000"] }), ["/roiEvents/0"]],
      ["PUT", "/v1/settings", { email: { from: "Acme \u0000<cs@acme.example>" } }, ["/email/from"]],
      ["PUT", "/v1/accounts/acme/renewals/2027-03-31", { arrAfter: 1000, notes: "\ud83d" }, ["/notes"]],
      ["POST", "/v1/enrollments", { journey: "on\u0000board", account: "acme" }, ["/journey"]],
      // Checked before the escalation is looked up: the same 422 whether or not it exists.
      ["POST", `/v1/escalations/${someUuid}/resolve`, { outcome: "resume", notes: "\u0000" }, ["/notes"]],
      ["POST", `/in-app/messages/${someUuid}/seen`, { key: "pk_\u0000" }, ["/key"]],
    ];
    for (const [method, path, body, pointers] of cases) {
      expect([method, path, await problemAt(await ws.request(method, path, body), 422)]).toEqual([
        method,
        path,
        pointers.map((p) => [undefined, p]),
      ]);
    }
  });

  it("answers 400 naming a query or path parameter with a NUL", async () => {
    const cases: [string, [string, string]][] = [
      ["/v1/escalations?assignee=%00hanako", ["query", "/assignee"]],
      ["/v1/enrollments?account=ac%00me", ["query", "/account"]],
      ["/v1/enrollments?journey=%00", ["query", "/journey"]],
      ["/in-app/messages?key=pk_%00&account=acme&contact=u-1&hash=00", ["query", "/key"]],
      ["/v1/escalations/%00", ["path", "/id"]],
    ];
    for (const [path, where] of cases) {
      expect([path, await problemAt(await ws.request("GET", path), 400)]).toEqual([path, [where]]);
    }
  });
});

describe("JSON nested deeper than Postgres (or a recursive walk) can take", () => {
  // Sent as text: JSON.stringify itself overflows the stack on the deepest of these.
  const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
  // The pointer to the first container 32 levels below the root of the body (or of the event).
  const pointer = (prefix: string) => `${prefix}${"/0".repeat(32 - (prefix.split("/").length - 1))}`;

  it("answers 422 at the first level past 32, in a validated body and in an event batch", async () => {
    const account = await ws.request(
      "PUT",
      "/v1/accounts/deep",
      `{"name":"D","attributes":{"x":${nested(5000)}}}`,
    );
    expect(await problemAt(account, 422)).toEqual([[undefined, pointer("/attributes/x")]]);
    const draft = await ws.request("PUT", "/v1/journeys/deep", `{"name":"Deep","steps":${nested(100_000)}}`);
    expect(await problemAt(draft, 422)).toEqual([[undefined, pointer("/steps")]]);
    const event = `{"id":"deep-1","account":"acme","name":"login","occurredAt":"2026-01-01T00:00:00Z"`;
    const batch = await ws.request(
      "POST",
      "/v1/events",
      `{"events":[${event},"properties":{"x":${nested(5000)}}}]}`,
    );
    expect(batch.status).toBe(422);
    const body = (await batch.json()) as ProblemJson;
    expect(body.errors?.map((e) => e.pointer)).toEqual([`/events/0${pointer("/properties/x")}`]);
  });

  it("stores attributes nested 32 levels deep", async () => {
    const res = await ws.request("PUT", "/v1/accounts/deep-ok", {
      name: "Deep",
      attributes: { x: nested(30) },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ attributes: { x: nested(30) } });
  });
});

describe("journeys too long to validate in reasonable time", () => {
  const steps = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ id: `s${i}`, type: "set_stage", stage: "adoption" }));
  const journey = (n: number) => ({ name: "Long", trigger: { type: "manual" }, steps: steps(n) });

  it("answers 422 naming /steps past 500 steps, as a draft and as a definition to simulate", async () => {
    expect(await problemAt(await ws.request("PUT", "/v1/journeys/long", journey(501)), 422)).toEqual([
      [undefined, "/steps"],
    ]);
    const simulate = await ws.request("POST", "/v1/journeys/long/simulate", { definition: journey(501) });
    expect(await problemAt(simulate, 422)).toEqual([[undefined, "/definition/steps"]]);
    expect((await ws.request("PUT", "/v1/journeys/long", journey(500))).status).toBe(201);
  });
});

describe("ids and cursors that are not what the API issued", () => {
  it("answers 404 for an id of 36 dashes or hex digits, which is no UUID", async () => {
    for (const id of [notUuid, "a".repeat(36)]) {
      for (const [method, path] of [
        ["GET", `/v1/enrollments/${id}`],
        ["GET", `/v1/enrollments/${id}/trace`],
        ["POST", `/v1/enrollments/${id}/exit`],
        ["GET", `/v1/escalations/${id}`],
        ["POST", `/v1/escalations/${id}/acknowledge`],
        ["GET", `/v1/outbox/${id}`],
      ] as const) {
        expect([method, path, (await ws.request(method, path)).status]).toEqual([method, path, 404]);
      }
    }
  });

  it("answers 400 for a time cursor with a bad id or an instant Postgres cannot read", async () => {
    for (const cursor of [
      encodeCursor("2026-01-01T00:00:00.000Z", notUuid),
      encodeCursor("0000-01-01T00:00:00.000Z", someUuid),
      encodeCursor("2026-01-01", someUuid),
    ]) {
      for (const list of ["/v1/enrollments", "/v1/outbox"]) {
        const res = await ws.request("GET", `${list}?cursor=${cursor}`);
        expect([list, cursor, await problemAt(res, 400)]).toEqual([list, cursor, [["query", "/cursor"]]]);
      }
    }
  });
});

describe("values outside what the columns and Temporal hold", () => {
  it("answers 422 for a scorecard interval that is empty or longer than a year", async () => {
    for (const every of ["", "PT99999999999999999999H", "P367D"]) {
      const res = await ws.request("PUT", "/v1/health/scorecard", scorecard({ every }));
      expect([every, await problemAt(res, 422)]).toEqual([every, [[undefined, "/every"]]]);
    }
    const yearly = await ws.request("PUT", "/v1/health/scorecard", scorecard({ every: "P366D" }));
    expect(yearly.status).toBe(200);
  });

  it("answers 422 for an ARR beyond numeric(14,2) and 400 for the year 0000", async () => {
    const renewal = (date: string, body: unknown) =>
      ws.request("PUT", `/v1/accounts/acme/renewals/${date}`, body);
    expect(await problemAt(await renewal("2027-03-31", { arrBefore: 1e12, arrAfter: 0 }), 422)).toEqual([
      [undefined, "/arrBefore"],
    ]);
    expect((await renewal("2027-03-31", { arrBefore: 999_999_999_999.99, arrAfter: 0 })).status).toBe(200);
    expect(await problemAt(await renewal("0000-03-31", { arrAfter: 0 }), 400)).toEqual([
      ["path", "/renewalDate"],
    ]);
    expect(
      await problemAt(await ws.request("PATCH", "/v1/accounts/acme", { renewalDate: "0000-01-01" }), 422),
    ).toEqual([[undefined, "/renewalDate"]]);
  });

  it("reports retention for a year back from any `to`, leap days and the first centuries too", async () => {
    for (const [to, from] of [
      ["2024-02-29", "2023-03-01"],
      ["0040-08-06", "0039-08-06"],
      ["0001-06-30", "0001-01-01"],
    ]) {
      const res = await ws.request("GET", `/v1/reports/retention?to=${to}`);
      expect([to, res.status]).toEqual([to, 200]);
      expect(await res.json()).toMatchObject({ from, to });
    }
  });
});

describe("templates that parse but cannot render", () => {
  const email = (fields: { subject?: string; body: string }) => ({
    channel: "email",
    category: "onboarding",
    subject: "Hello",
    ...fields,
  });

  it("answers 422 naming the field for a helper without its argument or a partial that does not exist", async () => {
    for (const [fields, pointer] of [
      [{ body: "<p>{{#if}}x{{/if}}</p>" }, "/body"],
      [{ body: "<p>{{> no-such-partial}}</p>" }, "/body"],
      [{ subject: "{{#with}}x{{/with}}", body: "<p>Hi</p>" }, "/subject"],
    ] as const) {
      const res = await ws.request("PUT", "/v1/templates/fz-broken", email(fields));
      expect([fields, await problemAt(res, 422)]).toEqual([fields, [[undefined, pointer]]]);
    }
    // Nothing was stored, so there is nothing broken to preview.
    expect((await ws.request("POST", "/v1/templates/fz-broken/preview", {})).status).toBe(404);
  });

  it("answers 422 naming /data for preview data a helper cannot take", async () => {
    const body = "<p>Renews {{formatDate account.renewalDate}}</p>";
    expect((await ws.request("PUT", "/v1/templates/fz-date", email({ body }))).status).toBe(201);
    const data = { account: { renewalDate: "2027-03-31T00:00:00Z" }, contact: { timezone: "Mars/Olympus" } };
    const res = await ws.request("POST", "/v1/templates/fz-date/preview", { data });
    expect(await problemAt(res, 422)).toEqual([[undefined, "/data"]]);
    expect((await ws.request("POST", "/v1/templates/fz-date/preview", {})).status).toBe(200);
  });
});

describe("public links (not in the OpenAPI document, so fuzzed by hand)", () => {
  it("answers 400 for a token naming a workspace id that is no UUID", async () => {
    const token = `${Buffer.from(JSON.stringify({ w: notUuid })).toString("base64url")}.c2ln`;
    for (const [method, path] of [
      ["GET", `/u/${token}`],
      ["POST", `/u/${token}`],
      ["GET", `/t/c/${token}`],
    ] as const) {
      expect([method, path, (await stack.app.request(path, { method })).status]).toEqual([method, path, 400]);
    }
    expect((await stack.app.request(`/t/o/${token}`)).headers.get("content-type")).toBe("image/gif");
  });

  it("answers 400 for a preferences form that is not one", async () => {
    const [workspace] = await stack.database.db
      .select({ secret: workspaces.signingSecret })
      .from(workspaces)
      .where(eq(workspaces.id, ws.workspaceId));
    const token = signToken(workspace?.secret ?? "", "unsubscribe", {
      w: ws.workspaceId,
      c: someUuid,
      k: "onboarding",
    });
    const res = await stack.app.request(`/u/${token}`, {
      method: "POST",
      headers: { "content-type": "multipart/form-data" },
      body: "not a multipart body",
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("could not be read");
  });
});

describe("the OpenAPI document fuzzers read", () => {
  type Operation = {
    parameters?: { in: string; name: string; schema: { pattern?: string } }[];
    responses: Record<string, { content?: Record<string, unknown> }>;
  };
  async function operations(): Promise<[string, Operation][]> {
    const doc = (await (await stack.app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    return Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]): [string, Operation] => [`${method} ${path}`, op]),
    );
  }

  it("documents problem+json as the default response of every operation that takes input or a key", async () => {
    const undocumented = (await operations())
      .filter(([name]) => name !== "get /healthz")
      .filter(([, op]) => !op.responses.default?.content?.["application/problem+json"])
      .map(([name]) => name);
    expect(undocumented).toEqual([]);
  });

  it("gives external id and key parameters patterns without \\p{…} classes", async () => {
    const params = (await operations()).flatMap(([, op]) => op.parameters ?? []);
    const patterns = new Set(
      params
        .filter((p) => p.in === "path" && ["externalId", "key"].includes(p.name))
        .map((p) => p.schema.pattern),
    );
    expect([...patterns].sort()).toEqual([
      "^[^\\s/\\u0000-\\u001f\\u007f-\\u009f]+$",
      "^[a-z0-9][a-z0-9_-]{0,99}$",
    ]);
  });
});
