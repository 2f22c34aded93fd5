import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../apps/core/shared/services";
import { createUser, updateUser } from "../apps/core/workspace/users";
import { sessions } from "../db/schema/index";
import { formPoster, ORIGIN, PASSWORD, sessionCookie } from "./console-harness";
import { startTestStack, type TestStack, type TestWorkspace } from "./harness";

/** The profile page and the password change and reset through `app.request`. */

let stack: TestStack;
let ws: TestWorkspace;
let other: TestWorkspace;
/** The stack's clock runs this far ahead of the system's: a test moves it to expire a link. */
let ahead = 0;
const clock: Clock = { now: () => new Date(Date.now() + ahead) };

const post = formPoster(() => stack.app);

const get = (path: string, cookie?: string) =>
  stack.app.request(path, {
    headers: cookie ? { cookie, "accept-language": "en" } : { "accept-language": "en" },
  });

const signIn = (email: string, password = PASSWORD) => sessionCookie(stack.app, email, password);

async function person(
  email: string,
  role: "admin" | "cs_ops" | "csm" | "viewer",
  name: string,
  workspace: TestWorkspace = ws,
) {
  const created = await createUser(stack.deps, workspace.workspaceId, {
    email,
    name,
    role,
    password: PASSWORD,
  });
  if (!created.ok) throw new Error(created.detail);
  return created.user;
}

/** The reset mails in the workspace's outbox addressed to `email`, oldest first. */
async function resetMails(email: string, workspace: TestWorkspace = ws) {
  const dir = join(stack.deps.outboxDir, workspace.workspaceId);
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) =>
    f.startsWith("password-reset-"),
  );
  const mails = await Promise.all(files.sort().map(async (f) => simpleParser(await readFile(join(dir, f)))));
  return mails.filter((m) => (m.to && "text" in m.to ? m.to.text : "") === email);
}

/** The path and query of the newest reset link mailed to `email`. */
async function resetLink(email: string): Promise<string> {
  const mails = await resetMails(email);
  const text = mails.at(-1)?.text ?? "";
  const link = /http:\/\/localhost:3000(\/app\/reset-password\/new\?token=[\w-]+)/.exec(text)?.[1];
  expect(link, `a reset link for ${email}`).toBeDefined();
  return link as string;
}

beforeAll(async () => {
  stack = await startTestStack({ outboundAllow: [], clock });
  ws = await stack.newWorkspace("Profile Co");
  other = await stack.newWorkspace("Other Co");
  await person("ada@profile.example", "admin", "Ada Admin");
  await person("vic@profile.example", "viewer", "Vic Viewer");
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe("profile page", () => {
  it("sends a signed-out visitor to the sign-in page, for the page and each of its forms", async () => {
    const page = await get("/app/profile");
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe("/app/sign-in");
    for (const path of ["/app/profile", "/app/profile/csm", "/app/profile/password"]) {
      const res = await post(path, { name: "Mallory", current: PASSWORD, password: "another long password" });
      expect(res.status, path).toBe(302);
      expect(res.headers.get("location"), path).toBe("/app/sign-in");
    }
  });

  it("shows a viewer who they are, without a CSM section, and the sign-out-everywhere form", async () => {
    const res = await get("/app/profile", await signIn("vic@profile.example"));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<dd>Vic Viewer</dd>");
    expect(html).toContain("<dd>vic@profile.example</dd>");
    expect(html).toContain("<dd>Viewer</dd>");
    expect(html).toContain("<dd>Profile Co</dd>");
    expect(html).not.toContain("Escalation emails");
    expect(html).toMatch(/<form method="post" action="\/app\/sign-out-everywhere">/);
    expect(html).toMatch(/<label class="wrapping">Current password<input name="current" type="password"/);
    // A CSM form posted by someone who is no CSM finds nothing to change.
    const csm = await post(
      "/app/profile/csm",
      { timezone: "Asia/Tokyo", locale: "ja" },
      await signIn("vic@profile.example"),
    );
    expect(csm.status).toBe(404);
  });

  it("renames the person and saves their language, ignoring an unknown one", async () => {
    await person("ren@profile.example", "csm", "Ren");
    const cookie = await signIn("ren@profile.example");
    const saved = await post("/app/profile", { name: "Ren Sato", locale: "ja" }, cookie);
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe("/app/profile?saved=details");
    const html = await (await get("/app/profile?saved=details", cookie)).text();
    expect(html).toContain('<html lang="ja">');
    expect(html).toContain("<dd>Ren Sato</dd>");
    expect(html).toContain("プロフィールを保存しました。");
    const unknown = await post("/app/profile", { name: "Ren Sato", locale: "xx" }, cookie);
    expect(unknown.status).toBe(303);
    expect(await (await get("/app/profile", cookie)).text()).toContain('<html lang="ja">');
    const blank = await post("/app/profile", { name: "   ", locale: "en" }, cookie);
    expect(blank.status).toBe(422);
    expect(await blank.text()).toContain("名前は 1〜200 文字で入力してください。");
  });

  it("saves a CSM's time zone and email language on their CSM record, refusing an unknown zone", async () => {
    await person("cam@profile.example", "csm", "Cam");
    // The CSM record was written with another case of the same address: still hers.
    const put = await ws.request("PUT", "/v1/csms/Cam@Profile.example", {
      name: "Cam",
      capacity: 7,
      tiers: ["high_touch"],
    });
    expect(put.status).toBe(200);
    // The same address is a CSM of another workspace too: that record is not this profile's.
    expect(
      (await other.request("PUT", "/v1/csms/cam@profile.example", { name: "Cam elsewhere" })).status,
    ).toBe(200);
    const cookie = await signIn("cam@profile.example");
    const page = await (await get("/app/profile", cookie)).text();
    expect(page).toContain("Escalation emails");
    expect(page).toContain('<option value="Asia/Tokyo">Asia/Tokyo</option>');

    const bad = await post("/app/profile/csm", { timezone: "Mars/Olympus_Mons", locale: "ja" }, cookie);
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("Choose a time zone from the list.");
    const badLocale = await post("/app/profile/csm", { timezone: "Asia/Tokyo", locale: "fr" }, cookie);
    expect(badLocale.status).toBe(422);

    const saved = await post("/app/profile/csm", { timezone: "Asia/Tokyo", locale: "ja" }, cookie);
    expect(saved.status).toBe(303);
    const csms = (await (await ws.request("GET", "/v1/csms")).json()) as {
      data: {
        email: string;
        timezone: string | null;
        locale: string | null;
        capacity: number;
        tiers: string[];
      }[];
    };
    expect(csms.data.filter((c) => c.email.toLowerCase() === "cam@profile.example")).toHaveLength(1);
    expect(csms.data.find((c) => c.email === "Cam@Profile.example")).toMatchObject({
      timezone: "Asia/Tokyo",
      locale: "ja",
      capacity: 7,
      tiers: ["high_touch"],
    });
    // Their time now, in their zone and language.
    expect(await (await get("/app/profile?saved=csm", cookie)).text()).toMatch(
      /Your time now: <time datetime="[^"]+">[^<]*GMT\+9<\/time>/,
    );
    const elsewhere = (await (await other.request("GET", "/v1/csms")).json()) as {
      data: { timezone: string | null }[];
    };
    expect(elsewhere.data[0]?.timezone).toBeNull();

    // htmx gets the section back in place; the workspace default is an empty choice.
    const fragment = await post("/app/profile/csm", { timezone: "", locale: "en" }, cookie, {
      htmx: true,
    });
    expect(fragment.status).toBe(200);
    const section = await fragment.text();
    expect(section).toMatch(/^<section class="card" id="profile-csm"/);
    expect(section).toContain("Your escalation email settings are saved.");
    expect(section).toContain('<option value="" selected="">Workspace default (UTC)</option>');
  });

  it("changes the password with the current one, ending every other session of the person", async () => {
    await person("pat@profile.example", "csm", "Pat");
    const here = await signIn("pat@profile.example");
    const elsewhere = await signIn("pat@profile.example");
    const wrong = await post(
      "/app/profile/password",
      { current: "not my password", password: "a brand new passphrase" },
      here,
    );
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain("The current password is not right.");
    const short = await post("/app/profile/password", { current: PASSWORD, password: "short" }, here);
    expect(short.status).toBe(422);
    expect(await short.text()).toContain("The new password needs at least 12 characters.");
    const htmxWrong = await post(
      "/app/profile/password",
      { current: "nope", password: "a brand new passphrase" },
      here,
      { htmx: true },
    );
    expect(htmxWrong.status).toBe(200);
    expect(await htmxWrong.text()).toMatch(/^<section class="card" id="profile-password"/);
    expect((await get("/app", elsewhere)).status).toBe(200);

    const changed = await post(
      "/app/profile/password",
      { current: PASSWORD, password: "a brand new passphrase" },
      here,
    );
    expect(changed.status).toBe(303);
    expect(changed.headers.get("location")).toBe("/app/profile?saved=password");
    expect((await get("/app/profile", here)).status).toBe(200);
    expect((await get("/app", elsewhere)).status).toBe(302);
    expect((await post("/app/sign-in", { email: "pat@profile.example", password: PASSWORD })).status).toBe(
      401,
    );
    await signIn("pat@profile.example", "a brand new passphrase");
  });
});

describe("password reset", () => {
  it("links the sign-in page to the reset page, in English and Japanese", async () => {
    const english = await (await get("/app/sign-in")).text();
    expect(english).toContain('<a href="/app/reset-password">Forgot your password?</a>');
    const japanese = await (
      await stack.app.request("/app/sign-in", { headers: { "accept-language": "ja" } })
    ).text();
    expect(japanese).toContain("パスワードをお忘れですか？");
    const reset = await get("/app/reset-password");
    expect(reset.status).toBe(200);
    expect(await reset.text()).toContain('<label for="reset-email">Email</label>');
  });

  it("mails a person one link per request, and nothing for unknown or disabled emails, answering the same", async () => {
    await person("una@profile.example", "csm", "Una");
    const dee = await person("dee@profile.example", "csm", "Dee");
    await updateUser(stack.deps, ws.workspaceId, dee.id, { disabled: true });
    const answers: string[] = [];
    for (const email of ["una@profile.example", "nobody@profile.example", "dee@profile.example"]) {
      const res = await post("/app/reset-password", { email });
      expect(res.status, email).toBe(200);
      const html = await res.text();
      expect(html).toContain("If that email belongs to a person of this console, a link is on its way.");
      answers.push(html);
    }
    expect(new Set(answers).size).toBe(1);
    expect(await resetMails("una@profile.example")).toHaveLength(1);
    expect(await resetMails("dee@profile.example")).toHaveLength(0);
    const mail = (await resetMails("una@profile.example"))[0];
    expect(mail?.subject).toContain("Reset your Volante password");
    // The token is stored hashed: the mailed one is nowhere in the table.
    const token = new URL(await resetLink("una@profile.example"), ORIGIN).searchParams.get("token") as string;
    const rows = await stack.database.db.select({ tokenHash: sessions.tokenHash }).from(sessions);
    expect(rows.some((r) => r.tokenHash === token)).toBe(false);
    expect((await post("/app/reset-password", { email: "not an address" })).status).toBe(422);
  });

  it("sets a new password once through the link and signs the person out everywhere", async () => {
    await person("rae@profile.example", "viewer", "Rae");
    const before = await signIn("rae@profile.example");
    await post("/app/reset-password", { email: "rae@profile.example" });
    const link = await resetLink("rae@profile.example");
    const page = await get(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<label for="reset-password">New password</label>');
    const token = new URL(link, ORIGIN).searchParams.get("token") as string;
    expect((await post("/app/reset-password/new", { token, password: "short" })).status).toBe(422);
    const set = await post("/app/reset-password/new", { token, password: "my new reset passphrase" });
    expect(set.status).toBe(303);
    expect(set.headers.get("location")).toBe("/app/sign-in?password-set");
    expect((await get("/app", before)).status).toBe(302);
    expect((await post("/app/sign-in", { email: "rae@profile.example", password: PASSWORD })).status).toBe(
      401,
    );
    await signIn("rae@profile.example", "my new reset passphrase");
    // Single use: the link is spent.
    expect(
      (await post("/app/reset-password/new", { token, password: "yet another passphrase" })).status,
    ).toBe(404);
    const spent = await get(link);
    expect(spent.status).toBe(404);
    expect(await spent.text()).toContain("This link has expired or was already used.");
    expect((await get("/app/reset-password/new?token=made-up")).status).toBe(404);
  });

  it("expires the link after an hour", async () => {
    await person("eve@profile.example", "viewer", "Eve");
    await post("/app/reset-password", { email: "eve@profile.example" });
    const link = await resetLink("eve@profile.example");
    const token = new URL(link, ORIGIN).searchParams.get("token") as string;
    ahead = 59 * 60_000;
    expect((await get(link)).status).toBe(200);
    ahead = 61 * 60_000;
    try {
      expect((await get(link)).status).toBe(404);
      expect((await post("/app/reset-password/new", { token, password: "too late passphrase" })).status).toBe(
        404,
      );
    } finally {
      ahead = 0;
    }
    await signIn("eve@profile.example");
  });

  it("rate-limits reset requests per email with the same answer for every address", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await post("/app/reset-password", { email: "ada@profile.example" })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(await resetMails("ada@profile.example")).toHaveLength(3);
    const unknown: number[] = [];
    for (let i = 0; i < 4; i++)
      unknown.push((await post("/app/reset-password", { email: "ghost@profile.example" })).status);
    expect(unknown).toEqual([200, 200, 200, 429]);
  });
});
