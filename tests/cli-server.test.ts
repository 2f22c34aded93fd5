import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { eventually, freePort, runVolante, stopVolante, type VolanteProcess } from "./harness";

// The CLI beside a running Volante on the same embedded database (docs/decisions/0033-one-writer.md):
// one real `volante start` for the file (PGlite in a temporary home, the suite's Temporal server),
// and the real CLI in child processes.
let home: string;
let env: Record<string, string | undefined>;
let server: VolanteProcess;
let base: string;
let firstKey: string;

async function startServer(): Promise<VolanteProcess> {
  const started = runVolante(["start"], env);
  await eventually(
    async () => {
      if (started.child.exitCode !== null) throw new Error(`volante exited early:\n${started.output()}`);
      const res = await fetch(`${base}/healthz`).catch(() => undefined);
      return res?.status === 200 && started.output().includes("Press Ctrl-C") ? true : undefined;
    },
    "volante start to answer /healthz",
    90_000,
  );
  return started;
}

async function stopServer(): Promise<void> {
  server.child.kill("SIGTERM");
  expect(await server.exited).toBe(0);
}

/** `volante <args>` on the same home as the server, to its end. */
async function volante(...args: string[]): Promise<{ code: number | null; out: string }> {
  const run = runVolante(args, env);
  const code = await run.exited;
  return { code, out: run.output() };
}

const status = async (key: string) =>
  (await fetch(`${base}/v1/accounts`, { headers: { authorization: `Bearer ${key}` } })).status;

const keyIn = (out: string) => /^API key (vk_\S+)$/m.exec(out)?.[1] ?? "";

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "volante-cli-server-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = {
    ...process.env,
    VOLANTE_HOME: home,
    PORT: String(port),
    // The suite's Temporal server, on a task queue of this file's own.
    TEMPORAL_ADDRESS: inject("temporalAddress"),
    TEMPORAL_NAMESPACE: inject("temporalNamespace"),
    TEMPORAL_TASK_QUEUE: `cli-server-${port}`,
    LOG_LEVEL: "warn",
    // One writer is about the embedded database.
    DATABASE_URL: undefined,
    VOLANTE_API_KEY: undefined,
  };
  server = await startServer();
  firstKey = (await readFile(join(home, "first-api-key"), "utf8")).trim();
}, 120_000);

afterAll(async () => {
  await stopVolante(server.child);
  await rm(home, { recursive: true, force: true });
});

describe("the CLI beside a running Volante", () => {
  it("lists keys through the server, and refuses to open its database for a command it cannot relay", async () => {
    const list = await volante("keys", "list");
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/vk_\S+…\s+admin\s+workspace \S+ \(Default\)\s+active/);

    const show = await volante("workspace", "show");
    expect(show.code).toBe(1);
    expect(show.out).toContain("holds the embedded database");
    expect(show.out).toContain("GET/PATCH /v1/workspace");
    // The server was never disturbed by a second process on its files.
    expect(await status(firstKey)).toBe(200);
  }, 180_000);

  it("gives a key from `workspaces create` that works at once, in a workspace of its own", async () => {
    const created = await volante("workspaces", "create", "Globex");
    expect(created.code).toBe(0);
    expect(created.out).toContain("Health Schedule created.");
    const key = keyIn(created.out);
    const accounts = await fetch(`${base}/v1/accounts`, { headers: { authorization: `Bearer ${key}` } });
    expect(accounts.status).toBe(200);
    expect(((await accounts.json()) as { data: unknown[] }).data).toEqual([]);
  }, 180_000);

  it("answers the admin endpoint only to the token's holder, never as a tenant route", async () => {
    expect((await stat(join(home, "admin-token"))).mode & 0o777).toBe(0o600);
    const token = (await readFile(join(home, "admin-token"), "utf8")).trim();
    const keys = (headers: Record<string, string>) => fetch(`${base}/admin/keys`, { headers });
    expect((await keys({})).status).toBe(401);
    expect((await keys({ authorization: `Bearer ${firstKey}` })).status).toBe(401);
    expect((await keys({ authorization: `Bearer ${token}` })).status).toBe(200);
    // Relayed by a proxy on this host, or sent by a browser page: refused even with the token.
    expect((await keys({ authorization: `Bearer ${token}`, "x-forwarded-for": "203.0.113.9" })).status).toBe(
      403,
    );
    expect((await keys({ authorization: `Bearer ${token}`, origin: "http://evil.example" })).status).toBe(
      403,
    );
    const openapi = await (await fetch(`${base}/openapi.json`)).json();
    expect(Object.keys((openapi as { paths: object }).paths).filter((p) => p.startsWith("/admin"))).toEqual(
      [],
    );
  });

  it("applies journeys as code: created, then unchanged, then only what changed, then published", async () => {
    const dir = join(home, "as-code");
    const template = join(dir, "messages", "cli-hello");
    await mkdir(template, { recursive: true });
    await mkdir(join(dir, "journeys"));
    await writeFile(
      join(template, "template.json"),
      JSON.stringify({ channel: "email", category: "onboarding" }),
    );
    await writeFile(join(template, "en.subject.hbs"), "Hello {{account.name}}\n");
    await writeFile(join(template, "en.body.hbs"), "<p>Welcome, {{contact.firstName}}.</p>\n");
    await writeFile(join(template, "ja.subject.hbs"), "{{account.name}} 様\n");
    await writeFile(join(template, "ja.body.hbs"), "<p>ようこそ</p>\n");
    const journey = {
      key: "cli-hello-journey",
      name: "Hello",
      trigger: { type: "stage_entered", stage: "onboarding" },
      steps: [{ id: "hello", type: "email", template: "cli-hello", to: "role:admin" }],
    };
    await writeFile(join(dir, "journeys", "cli-hello-journey.json"), JSON.stringify(journey, null, 2));

    // The key is the first start's, from <home>/first-api-key; the URL is localhost:$PORT.
    const first = await volante("apply", dir);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/template\s+cli-hello\s+created \(en, ja\)/);
    expect(first.out).toMatch(/journey\s+cli-hello-journey\s+created \(draft\)/);
    expect(first.out).toContain("2 created, 0 updated, 0 unchanged");

    const second = await volante("apply", dir);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/template\s+cli-hello\s+unchanged/);
    expect(second.out).toMatch(/journey\s+cli-hello-journey\s+unchanged/);
    expect(second.out).toContain("Nothing to change on http://localhost:");
    expect(second.out).toContain("0 created, 0 updated, 2 unchanged");

    await writeFile(join(template, "ja.body.hbs"), "<p>ようこそ、{{account.name}}</p>\n");
    const third = await volante("apply", dir);
    expect(third.out).toMatch(/template\s+cli-hello\s+updated \(ja\)/);
    expect(third.out).toContain("0 created, 1 updated, 1 unchanged");
    const ja = (await (
      await fetch(`${base}/v1/templates/cli-hello`, { headers: { authorization: `Bearer ${firstKey}` } })
    ).json()) as { locale: string; body: string }[];
    expect(ja.find((row) => row.locale === "ja")?.body).toContain("{{account.name}}");

    const dryRun = await volante("apply", dir, "--publish", "--backfill=dry-run");
    expect(dryRun.code).toBe(0);
    expect(dryRun.out).toMatch(
      /backfill\s+cli-hello-journey\s+dry run: would enroll 0 of 0 matching accounts/,
    );
    const published = await volante("apply", dir, "--publish");
    expect(published.code).toBe(0);
    expect(published.out).toMatch(/publish\s+cli-hello-journey\s+published version 1/);
    expect(published.out).toContain("1 published");
    const again = await volante("apply", dir, "--publish", "--api-key", firstKey);
    expect(again.out).toMatch(/publish\s+cli-hello-journey\s+unchanged \(version 1/);
    expect(again.out).toContain("Nothing to change");

    // The server has cli-hello; the files under templates/messages do not.
    const file = join(dir, "journeys", "cli-hello-journey.json");
    const remote = await volante("journeys", "validate", "--remote", file);
    expect(remote.code).toBe(0);
    expect(remote.out).toContain("valid against http://localhost:");
    const local = await volante("journeys", "validate", file);
    expect(local.code).toBe(1);
    expect(local.out).toContain("/steps/0/template");
    await writeFile(
      file,
      JSON.stringify({ ...journey, steps: [{ ...journey.steps[0], template: "cli-helo" }] }, null, 2),
    );
    const typo = await volante("journeys", "validate", "--remote", file);
    expect(typo.code).toBe(1);
    expect(typo.out).toContain("/steps/0/template");
    expect(typo.out).not.toContain("/definition/");
  }, 120_000);

  it("revokes a key at once while Volante runs, and the revocation outlives a restart", async () => {
    // Two workspaces by now (see above): the first start's is named, as after a lost first key.
    const workspace = /workspace (\S+) \(Default\)/.exec((await volante("keys", "list")).out)?.[1] ?? "";
    const created = await volante("keys", "create", "--workspace", workspace, "--name", "ci");
    expect(created.code).toBe(0);
    const key = keyIn(created.out);
    expect(await status(key)).toBe(200);

    const revoked = await volante("keys", "revoke", key);
    expect(revoked.code).toBe(0);
    expect(revoked.out).toContain("by the running Volante");
    expect(await status(key)).toBe(401);

    await stopServer();
    // Stopped: the admin access is withdrawn, and the CLI opens the database itself.
    await expect(stat(join(home, "admin-token"))).rejects.toThrow();
    const offline = await volante("keys", "list");
    expect(offline.code).toBe(0);
    expect(offline.out).toMatch(/\bci\s+workspace \S+ \(Default\)\s+revoked /);

    server = await startServer();
    expect(await status(key)).toBe(401);
    expect(await status(firstKey)).toBe(200);
  }, 180_000);
});
