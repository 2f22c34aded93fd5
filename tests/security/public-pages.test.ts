import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../../apps/core/shared/signing";
import { contacts, suppressions, workspaces } from "../../db/schema";
import { startTestStack, type TestStack, type TestWorkspace } from "../harness";

let stack: TestStack;
let ws: TestWorkspace;
let page: string;

beforeAll(async () => {
  stack = await startTestStack();
  ws = await stack.newWorkspace();
  await ws.request("PUT", "/v1/accounts/prefs", { name: "Prefs KK", tier: "tech_touch" });
  await ws.request("PUT", "/v1/accounts/prefs/contacts/ann", { email: "ann@prefs.example", role: "admin" });
  const [contact] = await stack.database.db
    .select({ id: contacts.id })
    .from(contacts)
    .where(eq(contacts.email, "ann@prefs.example"));
  const [workspace] = await stack.database.db
    .select({ secret: workspaces.signingSecret })
    .from(workspaces)
    .where(eq(workspaces.id, ws.workspaceId));
  // The link an onboarding email carries (List-Unsubscribe and the footer).
  const token = signToken(workspace?.secret ?? "", "unsubscribe", {
    w: ws.workspaceId,
    c: contact?.id,
    k: "onboarding",
  });
  page = `/u/${token}`;
});
afterAll(() => stack?.close());

async function suppressed(): Promise<string[]> {
  const rows = await stack.database.db
    .select({ category: suppressions.category })
    .from(suppressions)
    .where(eq(suppressions.workspaceId, ws.workspaceId));
  return rows.map((r) => r.category).sort();
}

function post(body: string, contentType?: string) {
  return stack.app.request(page, {
    method: "POST",
    ...(contentType ? { headers: { "content-type": contentType } } : {}),
    body,
  });
}

describe("the preferences page (RFC 8058 and secure headers)", () => {
  it("unsubscribes nobody on a POST that is neither the one-click body nor the page's form", async () => {
    for (const [body, type] of [
      ["", undefined],
      ["", "application/x-www-form-urlencoded"],
      ['{"List-Unsubscribe":"One-Click"}', "application/json"],
      ["List-Unsubscribe=one-click", "application/x-www-form-urlencoded"],
      ["keep=renewal", "application/x-www-form-urlencoded"],
    ] as const) {
      const res = await post(body, type);
      expect([body, res.status]).toEqual([body, 200]);
      expect(await res.text()).toContain("Email preferences");
    }
    expect(await suppressed()).toEqual([]);
  });

  it("unsubscribes from the email's category on exactly List-Unsubscribe=One-Click", async () => {
    const res = await post("List-Unsubscribe=One-Click", "application/x-www-form-urlencoded");
    expect(res.status).toBe(200);
    expect(await suppressed()).toEqual(["onboarding"]);
  });

  it("is never framed, cached or given a referrer, and refuses a body no form needs", async () => {
    const res = await stack.app.request(page);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const huge = await post(
      `preferences=1&keep=${"x".repeat(64 * 1024)}`,
      "application/x-www-form-urlencoded",
    );
    expect(huge.status).toBe(413);
  });
});
