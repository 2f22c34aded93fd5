import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MINIMUM_ROLE, minimumRole } from "../../apps/api/access";
import { addApiKey } from "../../apps/core/workspace/api-keys";
import { type Role, roleAtLeast } from "../../apps/core/workspace/roles";
import { ROLES } from "../../db/schema/users";
import { startTestStack, type TestStack } from "../harness";

/**
 * Issue 17's role matrix, generated from the OpenAPI document: every /v1 operation is called with a
 * key of each role. A role below the operation's minimum (apps/api/access.ts) gets 403 and nothing
 * else does; the table itself is checked against the API's intent in the second test.
 */

let stack: TestStack;
const keys = {} as Record<Role, string>;

async function v1Operations(): Promise<string[]> {
  const doc = (await (await stack.app.request("/openapi.json")).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith("/v1/"))
    .flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`));
}

beforeAll(async () => {
  stack = await startTestStack({ outboundAllow: [] });
  const ws = await stack.newWorkspace("Roles");
  for (const role of ROLES)
    keys[role] = (await addApiKey(stack.database.db, ws.workspaceId, role, undefined, role)).apiKey;
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe("role matrix (issue 17)", () => {
  it("answers 403 exactly when the key's role is below the operation's minimum", async () => {
    const operations = await v1Operations();
    expect(operations.length).toBeGreaterThan(50);
    const answers: Record<string, boolean> = {};
    const expected: Record<string, boolean> = {};
    // Strongest first: an admin's writes on made-up ids miss (404/422) and leave the weaker roles' calls the same.
    for (const role of [...ROLES].reverse()) {
      for (const operation of operations) {
        const [method = "GET", template = ""] = operation.split(" ");
        // Ids nobody has; 2026-01-01 for a date, 1 for a version.
        const path = template
          .replace("{renewalDate}", "2026-01-01")
          .replace("{version}", "1")
          .replace("{email}", "nobody@roles.example")
          .replace(/\{\w+\}/g, "00000000-0000-4000-8000-000000000000");
        const res = await stack.app.request(path, {
          method,
          headers: { authorization: `Bearer ${keys[role]}` },
        });
        answers[`${role} ${operation}`] = res.status === 403;
        expected[`${role} ${operation}`] = !roleAtLeast(role, minimumRole(method, template));
      }
    }
    expect(answers).toEqual(expected);
    // The matrix is not empty on either side.
    expect(Object.values(expected).filter(Boolean).length).toBeGreaterThan(50);
    expect(Object.values(expected).filter((x) => !x).length).toBeGreaterThan(100);
  }, 120_000);

  it("gives viewers reads only, CSMs escalations and accounts, CS Ops all but people and keys", async () => {
    const operations = await v1Operations();
    const allowed = (role: Role) =>
      operations.filter((op) => {
        const [method = "GET", path = ""] = op.split(" ");
        return roleAtLeast(role, minimumRole(method, path));
      });
    const writes = (ops: string[]) =>
      ops.filter((op) => !op.startsWith("GET ") && !op.endsWith("/simulate") && !op.endsWith("/preview"));
    expect(writes(allowed("viewer"))).toEqual([]);
    expect(allowed("viewer")).not.toContain("GET /v1/users");
    expect(allowed("viewer")).not.toContain("GET /v1/in-app/keys");
    const csm = writes(allowed("csm"));
    expect(csm).toContain("POST /v1/escalations/{id}/resolve");
    expect(csm).toContain("PATCH /v1/accounts/{externalId}");
    expect(csm.every((op) => /\/v1\/(escalations|accounts|events)/.test(op))).toBe(true);
    const csOps = allowed("cs_ops");
    expect(csOps).toContain("POST /v1/journeys/{key}/publish");
    expect(csOps).toContain("PUT /v1/settings");
    expect(csOps.filter((op) => op.includes("/v1/users"))).toEqual([]);
    expect(allowed("admin")).toEqual(operations);
    // Every entry of the table names an operation that exists.
    expect(Object.keys(MINIMUM_ROLE).filter((op) => !operations.includes(op))).toEqual([]);
  });

  it("says which role a refused key has and which the operation needs", async () => {
    const res = await stack.app.request("/v1/journeys/x/publish", {
      method: "POST",
      headers: { authorization: `Bearer ${keys.viewer}` },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as { detail: string }).detail).toMatch(/role is viewer.*needs cs_ops/);
  });
});
