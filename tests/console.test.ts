import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addApiKey } from "../apps/core/workspace/api-keys";
import { createUser } from "../apps/core/workspace/users";
import { startTestStack, type TestStack, type TestWorkspace } from "./harness";

/** Console pages through `app.request`: who may see what, sign-in, sessions, CSRF, invitations, languages. */

let stack: TestStack;
let ws: TestWorkspace;
const ORIGIN = "http://localhost";
const PASSWORD = "correct horse battery";

function form(fields: Record<string, string>): URLSearchParams {
  return new URLSearchParams(fields);
}

async function post(
  path: string,
  fields: Record<string, string>,
  cookie?: string,
  headers: Record<string, string> = {},
) {
  return stack.app.request(path, {
    method: "POST",
    body: form(fields),
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: ORIGIN,
      ...(cookie ? { cookie } : {}),
      ...headers,
    },
  });
}

async function signIn(email: string, password = PASSWORD): Promise<string> {
  const res = await post("/app/sign-in", { email, password });
  expect(res.status).toBe(303);
  const cookie = res.headers.get("set-cookie") ?? "";
  return cookie.split(";")[0] as string;
}

async function person(
  email: string,
  role: "admin" | "cs_ops" | "csm" | "viewer",
  name = email.split("@")[0] ?? email,
) {
  const created = await createUser(stack.deps, ws.workspaceId, { email, name, role, password: PASSWORD });
  if (!created.ok) throw new Error(created.detail);
  return created.user;
}

/** The system's time, held still while a test needs it to (the rate limit refills as time passes). */
let heldAt: Date | undefined;
const clock = { now: () => heldAt ?? new Date() };

const get = (path: string, headers: Record<string, string> = {}) => stack.app.request(path, { headers });

beforeAll(async () => {
  stack = await startTestStack({ outboundAllow: [], clock });
  ws = await stack.newWorkspace("Console Co");
  await person("ada@console.example", "admin", "Ada Admin");
  await person("vic@console.example", "viewer", "Vic Viewer");
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe("console pages", () => {
  it("sends / to /app and a signed-out visitor to the sign-in page", async () => {
    const root = await get("/");
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/app");
    for (const path of ["/app", "/app/users"]) {
      const res = await get(path);
      expect(res.status, path).toBe(302);
      expect(res.headers.get("location"), path).toBe("/app/sign-in");
    }
  });

  it("labels the sign-in fields in the browser's language, with a CSP that allows no inline script", async () => {
    const english = await get("/app/sign-in", { "accept-language": "en-US,en;q=0.9" });
    const html = await english.text();
    expect(html).toMatch(/<label for="email">Email<\/label>/);
    expect(html).toMatch(/<label for="password">Password<\/label>/);
    expect(html).toContain('<html lang="en">');
    const csp = english.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(english.headers.get("cache-control")).toBe("no-store");
    const japanese = await (
      await get("/app/sign-in", { "accept-language": "ja-JP,ja;q=0.9,en;q=0.5" })
    ).text();
    expect(japanese).toMatch(/<label for="email">メールアドレス<\/label>/);
    expect(japanese).toMatch(/<label for="password">パスワード<\/label>/);
    expect(japanese).toContain('<html lang="ja">');
  });

  it("serves htmx and the stylesheet from the app itself", async () => {
    const htmx = await get("/app/static/htmx.min.js");
    expect(htmx.status).toBe(200);
    expect(htmx.headers.get("content-type")).toContain("javascript");
    expect(await htmx.text()).toContain("htmx");
    expect((await get("/app/static/console.css")).status).toBe(200);
    expect((await get("/app/static/nothing.js")).status).toBe(404);
  });

  it("refuses a sign-in form posted from another origin (CSRF)", async () => {
    const res = await post("/app/sign-in", { email: "ada@console.example", password: PASSWORD }, undefined, {
      origin: "https://evil.example",
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("signs in with the right password into an HttpOnly SameSite=Lax cookie and opens Home in the workspace", async () => {
    const wrong = await post("/app/sign-in", { email: "ada@console.example", password: "not the password" });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("The email or password is not right.");
    const res = await post("/app/sign-in", { email: "ADA@console.example", password: PASSWORD });
    expect(res.status).toBe(303);
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^volante_session=/);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Lax");
    // http://localhost: no Secure, or the browser would never send it back.
    expect(setCookie).not.toContain("Secure");
    const cookie = setCookie.split(";")[0] as string;
    const home = await get("/app", { cookie });
    expect(home.status).toBe(200);
    expect(home.headers.get("cache-control")).toBe("no-store");
    const html = await home.text();
    expect(html).toContain("<h1>Home</h1>");
    expect(html).toContain("Console Co");
    expect(html).toContain('href="/docs"');
  });

  it("lets admins alone open the People page", async () => {
    const viewer = await get("/app/users", { cookie: await signIn("vic@console.example") });
    expect(viewer.status).toBe(403);
    expect(await viewer.text()).not.toContain("vic@console.example</td>");
    const admin = await get("/app/users", { cookie: await signIn("ada@console.example") });
    expect(admin.status).toBe(200);
    const html = await admin.text();
    expect(html).toContain("vic@console.example");
    expect(html).toContain("Invite someone");
    // A viewer cannot change a role by posting the form either.
    const vic = await post(
      "/app/users/00000000-0000-4000-8000-000000000000",
      { role: "admin" },
      await signIn("vic@console.example"),
    );
    expect(vic.status).toBe(403);
  });

  it("changes a role in place for htmx, and keeps the last admin an admin", async () => {
    const cookie = await signIn("ada@console.example");
    const cal = await person("cal@console.example", "csm", "Cal");
    const changed = await post(`/app/users/${cal.id}`, { role: "cs_ops" }, cookie, { "hx-request": "true" });
    expect(changed.status).toBe(200);
    const row = await changed.text();
    expect(row).toMatch(/^<tr id="user-/);
    expect(row).toMatch(/<option value="cs_ops" selected="">CS Ops<\/option>/);
    const users = await (await ws.request("GET", "/v1/users")).json();
    const ada = (users as { data: { id: string; email: string }[] }).data.find(
      (u) => u.email === "ada@console.example",
    );
    const demote = await post(`/app/users/${ada?.id}`, { role: "viewer" }, cookie, { "hx-request": "true" });
    expect(await demote.text()).toContain("The workspace needs at least one enabled admin.");
  });

  it("signs a person out of every browser at once", async () => {
    await person("sam@console.example", "csm", "Sam");
    const first = await signIn("sam@console.example");
    const second = await signIn("sam@console.example");
    expect((await get("/app", { cookie: first })).status).toBe(200);
    const out = await post("/app/sign-out-everywhere", {}, first);
    expect(out.status).toBe(303);
    expect((await get("/app", { cookie: first })).status).toBe(302);
    expect((await get("/app", { cookie: second })).status).toBe(302);
  });

  it("signs out one browser", async () => {
    const cookie = await signIn("ada@console.example");
    const other = await signIn("ada@console.example");
    await post("/app/sign-out", {}, cookie);
    expect((await get("/app", { cookie })).status).toBe(302);
    expect((await get("/app", { cookie: other })).status).toBe(200);
  });

  it("keeps a person's language choice across sign-ins", async () => {
    await person("jun@console.example", "csm", "Jun");
    const cookie = await signIn("jun@console.example");
    const res = await post("/app/language", { locale: "ja", next: "/app" }, cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/app");
    const again = await signIn("jun@console.example");
    const html = await (await get("/app", { cookie: again, "accept-language": "en" })).text();
    expect(html).toContain("<h1>ホーム</h1>");
    // Never a redirect off the console.
    const away = await post("/app/language", { locale: "en", next: "https://evil.example/" }, cookie);
    expect(away.headers.get("location")).toBe("/app");
    for (const next of [
      "//evil.example/app",
      "/\\evil.example/app",
      "/app/../admin",
      "javascript:alert(1)",
    ]) {
      const refused = await post("/app/language", { locale: "en", next }, cookie);
      expect(refused.headers.get("location"), next).toBe("/app");
    }
    // Back to the same page with its query: a list keeps its filters.
    const filtered = await post(
      "/app/language",
      { locale: "en", next: "/app/accounts?band=red&tier=low_touch" },
      cookie,
    );
    expect(filtered.headers.get("location")).toBe("/app/accounts?band=red&tier=low_touch");
  });

  it("invites by mail with a single-use link that sets a password", async () => {
    const res = await ws.request("POST", "/v1/users", {
      email: "ivy@console.example",
      name: "Ivy",
      role: "csm",
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { invited: boolean }).invited).toBe(true);
    expect((await post("/app/sign-in", { email: "ivy@console.example", password: PASSWORD })).status).toBe(
      401,
    );
    const dir = join(stack.deps.outboxDir, ws.workspaceId);
    const file = (await readdir(dir)).find((f) => f.startsWith("invitation-"));
    const mail = await simpleParser(await readFile(join(dir, file as string)));
    expect(mail.to && "text" in mail.to ? mail.to.text : "").toBe("ivy@console.example");
    const link = /http:\/\/localhost:3000(\/app\/set-password\?token=[\w-]+)/.exec(mail.text ?? "")?.[1];
    expect(link).toBeDefined();
    expect((await get(link as string)).status).toBe(200);
    const token = new URL(link as string, ORIGIN).searchParams.get("token") as string;
    expect((await post("/app/set-password", { token, password: "short" })).status).toBe(422);
    const set = await post("/app/set-password", { token, password: PASSWORD });
    expect(set.status).toBe(303);
    expect(set.headers.get("location")).toBe("/app/sign-in?password-set");
    expect((await post("/app/set-password", { token, password: "another long password" })).status).toBe(404);
    expect((await get(link as string)).status).toBe(404);
    await signIn("ivy@console.example");
  });

  it("refuses people API calls to keys that are not admin", async () => {
    const { apiKey } = await addApiKey(stack.database.db, ws.workspaceId, "ops", undefined, "cs_ops");
    const res = await stack.app.request("/v1/users", { headers: { authorization: `Bearer ${apiKey}` } });
    expect(res.status).toBe(403);
    const taken = await ws.request("POST", "/v1/users", {
      email: "ada@console.example",
      name: "Again",
      role: "csm",
    });
    expect(taken.status).toBe(409);
    const bad = await ws.request("POST", "/v1/users", { email: "nope", name: "X", role: "boss" });
    expect(bad.status).toBe(422);
    const pointers = ((await bad.json()) as { errors: { pointer: string }[] }).errors.map((e) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(["/email", "/role"]));
  });

  it("rate-limits failed sign-ins per email", async () => {
    await person("rex@console.example", "csm", "Rex");
    // Eleven password checks take seconds on a loaded machine; time stands still so none refills.
    heldAt = new Date();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++)
        statuses.push(
          (await post("/app/sign-in", { email: "rex@console.example", password: `wrong ${i}` })).status,
        );
      expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
      expect(statuses[10]).toBe(429);
      // The right password is refused too while the email is limited.
      expect((await post("/app/sign-in", { email: "rex@console.example", password: PASSWORD })).status).toBe(
        429,
      );
    } finally {
      heldAt = undefined;
    }
  }, 60_000);
});
