import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Role, roleAtLeast } from "../../apps/core/workspace/roles";
import { ROLES } from "../../db/schema/users";
import { addPerson, sessionCookie } from "../console-harness";
import { eventually, startTestStack, type TestStack, type TestWorkspace } from "../harness";

/**
 * Issue 17's matrix for the console: every page (a GET under /app that the router has) is opened by
 * a person of each role, signed out, and from another workspace. A page missing from PAGES fails the
 * test, so a new page must say who may open it.
 */

/** Each console page's minimum role, or "public" for the pages of signing in. */
const PAGES: Record<string, Role | "public"> = {
  "/app": "viewer",
  "/app/sign-in": "public",
  "/app/set-password": "public",
  "/app/reset-password": "public",
  "/app/reset-password/new": "public",
  "/app/users": "admin",
  "/app/inbox": "viewer",
  "/app/accounts": "viewer",
  "/app/accounts/:id": "viewer",
  "/app/accounts/:id/timeline": "viewer",
  "/app/enrollments/:id": "viewer",
  "/app/profile": "viewer",
  "/app/journeys": "viewer",
  "/app/journeys/:key": "viewer",
  "/app/journeys/:key/edit": "cs_ops",
  "/app/journeys/:key/simulate": "viewer",
  "/app/templates": "viewer",
  "/app/templates/:key": "viewer",
  "/app/templates/:key/preview": "viewer",
  "/app/settings": "cs_ops",
};

/** Routes that are not pages: files, and fragments a page asks for. */
const NOT_PAGES = new Set(["/app/static/:file"]);

let stack: TestStack;
let ws: TestWorkspace;
let other: TestWorkspace;
const cookies = {} as Record<Role, string>;
let otherAdmin = "";
const ids: Record<string, string> = {};

const signIn = (email: string) => sessionCookie(stack.app, email);

/** The page's path with this workspace's ids in it. */
const pathOf = (pattern: string) =>
  pattern
    .replace("/app/accounts/:id", "/app/accounts/acme")
    .replace("/app/templates/:key", "/app/templates/onboarding-welcome")
    .replace(":id", ids.enrollment ?? "")
    .replace(":key", "welcome");

beforeAll(async () => {
  stack = await startTestStack({ outboundAllow: [] });
  ws = await stack.newWorkspace("Console roles");
  other = await stack.newWorkspace("Elsewhere");
  for (const role of ROLES) {
    await addPerson(stack, ws.workspaceId, `${role}@roles.example`, role, role);
    cookies[role] = await signIn(`${role}@roles.example`);
  }
  await addPerson(stack, other.workspaceId, "admin@elsewhere.example", "admin", "Other admin");
  otherAdmin = await signIn("admin@elsewhere.example");
  await ws.request("PUT", "/v1/accounts/acme", { name: "Acme KK", tier: "tech_touch" });
  await ws.request("PUT", "/v1/journeys/welcome", {
    name: "Welcome",
    trigger: { type: "manual" },
    steps: [{ id: "later", type: "wait", duration: "P30D" }],
  });
  expect((await ws.request("POST", "/v1/journeys/welcome/publish")).status).toBe(201);
  const enrolled = (await (
    await ws.request("POST", "/v1/enrollments", { journey: "welcome", account: "acme" })
  ).json()) as { id: string };
  ids.enrollment = enrolled.id;
  await eventually(
    async () => (await ws.request("GET", `/v1/enrollments/${enrolled.id}`)).ok || undefined,
    "the enrollment",
  );
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe("console role matrix (issue 17)", () => {
  it("knows who may open every page the console has", () => {
    const pages = [
      ...new Set(
        stack.app.routes
          .filter((r) => r.method === "GET" && r.path.startsWith("/app") && !NOT_PAGES.has(r.path))
          .map((r) => r.path),
      ),
    ].sort();
    expect(pages).toEqual(Object.keys(PAGES).sort());
  });

  it("opens each page for the roles at or above its minimum, 403 below, the sign-in page when signed out", async () => {
    const answers: Record<string, number> = {};
    const expected: Record<string, number> = {};
    for (const [pattern, minimum] of Object.entries(PAGES)) {
      if (minimum === "public") continue;
      const path = pathOf(pattern);
      const signedOut = await stack.app.request(path);
      answers[`signed out ${pattern}`] = signedOut.status;
      expected[`signed out ${pattern}`] = 302;
      expect(signedOut.headers.get("location"), pattern).toBe("/app/sign-in");
      for (const role of ROLES) {
        const res = await stack.app.request(path, { headers: { cookie: cookies[role] } });
        answers[`${role} ${pattern}`] = res.status;
        expected[`${role} ${pattern}`] = roleAtLeast(role, minimum) ? 200 : 403;
      }
    }
    expect(answers).toEqual(expected);
  });

  it("shows another workspace's account, enrollment and journey to no one", async () => {
    for (const pattern of Object.keys(PAGES).filter(
      (p) => p.includes(":") && !p.startsWith("/app/templates"),
    )) {
      const res = await stack.app.request(pathOf(pattern), { headers: { cookie: otherAdmin } });
      expect(res.status, pattern).toBe(404);
      expect(await res.text(), pattern).not.toContain("Acme KK");
    }
  });
});

// ---- Trace viewer (console-trace): the touch page and its frame ----
// The matrix opens "/app/enrollments/:id/touches/:key" as /app/enrollments/<the enrollment>/touches/welcome:
// a sent email touch with that key on the matrix's enrollment, its content not stored (as over SMTP),
// so the frame renders it again for the account's admin contact.
Object.assign(PAGES, {
  "/app/enrollments/:id/touches/:key": "viewer",
  "/app/enrollments/:id/touches/:key/frame": "viewer",
});

beforeAll(async () => {
  const { touches } = await import("../../db/schema");
  await ws.request("PUT", "/v1/accounts/acme/contacts/ann", { email: "ann@acme.example", role: "admin" });
  await stack.database.db.insert(touches).values({
    workspaceId: ws.workspaceId,
    enrollmentId: ids.enrollment ?? "",
    touchKey: "welcome",
    stepId: "later",
    channel: "email",
    template: "onboarding-welcome",
    recipient: "role:admin",
    status: "sent",
    delivery: { recipients: ["ann@acme.example"] },
  });
});
// ---- end of trace viewer ----
