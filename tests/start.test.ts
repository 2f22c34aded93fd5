import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, Connection } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, freePort, runVolante, stopVolante } from "./harness";

// `npm start` as a user runs it: a real child process on embedded defaults (PGlite, dev server).
let home: string;
const children: ChildProcess[] = [];

type Started = {
  child: ChildProcess;
  output: () => string;
  port: number;
  temporalPort: number;
  exited: Promise<number | null>;
};

/** `volante <args>` on the test's state directory, as a child process. */
async function spawnVolante(args: string[], extraEnv: Record<string, string> = {}) {
  const port = await freePort();
  const temporalPort = await freePort();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    VOLANTE_HOME: home,
    PORT: String(port),
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(await freePort()),
    LOG_LEVEL: "warn",
    ...extraEnv,
  };
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  if (!extraEnv.VOLANTE_API_KEY) delete env.VOLANTE_API_KEY;
  const started = runVolante(args, env);
  children.push(started.child);
  return { ...started, port, temporalPort };
}

async function startVolante(extraEnv: Record<string, string> = {}): Promise<Started> {
  const started = await spawnVolante(["start"], extraEnv);
  const { child, output, port } = started;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`volante exited early:\n${output()}`);
      const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return res?.status === 200 && output().includes("Press Ctrl-C") ? true : undefined;
    },
    "npm start to answer /healthz",
    90_000,
  );
  return started;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "volante-start-"));
});
afterAll(async () => {
  await Promise.all(children.map((child) => stopVolante(child)));
  await rm(home, { recursive: true, force: true });
});

describe("npm start", () => {
  it("starts on embedded defaults, prints its URLs, keeps its first key in an owner-only file, stops on Ctrl-C and reuses its data", async () => {
    const first = await startVolante();
    const out = first.output();
    expect(out).toContain(`API docs      http://localhost:${first.port}/docs`);
    expect(out).toContain(`Console       http://localhost:${first.port}/app`);
    // No one can sign in to a fresh console: the banner says how to make its first admin.
    expect(out).toContain("no one can sign in yet");
    expect(out).toContain(
      'npm run volante -- users create --email you@example.com --name "Your Name" --role admin',
    );
    expect(out).toMatch(/Temporal UI {3}http:\/\/127\.0\.0\.1:\d+/);
    // Output here is a pipe, not a terminal: the key is in a file only its owner reads, never printed.
    expect(out).not.toMatch(/vk_/);
    const keyFile = join(home, "first-api-key");
    expect(out).toContain(`API key       in ${keyFile}`);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const key = (await readFile(keyFile, "utf8")).trim();
    expect(key).toMatch(/^vk_/);
    const base = `http://127.0.0.1:${first.port}`;
    const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const put = await fetch(`${base}/v1/accounts/acme`, {
      method: "PUT",
      headers: auth,
      body: '{"name":"Acme"}',
    });
    expect(put.status).toBe(201);
    const docs = await fetch(`${base}/docs`);
    expect(docs.status).toBe(200);

    // The workspace made at the first start scores its health on a Schedule from the start.
    const connection = await Connection.connect({ address: `127.0.0.1:${first.temporalPort}` });
    const client = new Client({ connection });
    const healthSchedules = await eventually(async () => {
      const ids: string[] = [];
      for await (const schedule of client.schedule.list()) ids.push(schedule.scheduleId);
      const health = ids.filter((id) => id.startsWith("health-recompute:"));
      return health.length > 0 ? health : undefined;
    }, "the workspace's health Schedule to be listed");
    await connection.close();
    expect(healthSchedules).toHaveLength(1);

    const serverPid = Number(await readFile(join(home, "temporal.pid"), "utf8"));
    expect(processAlive(serverPid)).toBe(true);
    first.child.kill("SIGINT");
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain("Stopped.");
    await eventually(
      async () => (processAlive(serverPid) ? undefined : true),
      "the Temporal dev server to exit",
    );

    const second = await startVolante();
    expect(second.output()).not.toMatch(/vk_/);
    const again = await fetch(`http://127.0.0.1:${second.port}/v1/accounts/acme`, { headers: auth });
    expect(again.status).toBe(200);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 180_000);

  it("adds VOLANTE_API_KEY to the only workspace, and refuses to start with it once revoked", async () => {
    // Same state directory as the test above: one workspace, made without the variable.
    const key = "vk_chosen-by-the-operator";
    const withKey = await startVolante({ VOLANTE_API_KEY: key });
    expect(withKey.output()).toContain("from VOLANTE_API_KEY (added to the existing workspace)");
    const acme = await fetch(`http://127.0.0.1:${withKey.port}/v1/accounts/acme`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(acme.status).toBe(200);
    withKey.child.kill("SIGTERM");
    expect(await withKey.exited).toBe(0);

    const revoke = await spawnVolante(["keys", "revoke", key]);
    expect(await revoke.exited).toBe(0);
    expect(revoke.output()).toContain("Revoked key");

    const refused = await spawnVolante(["start"], { VOLANTE_API_KEY: key });
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toContain("VOLANTE_API_KEY is a key that was revoked");
  }, 180_000);

  it("refuses bad configuration with one message naming every bad variable, exit code 1", async () => {
    const bad = runVolante(["start"], {
      ...process.env,
      PORT: "eighty",
      DATABASE_URL: "mysql://x",
      LOG_LEVEL: "chatty",
    });
    const code = await bad.exited;
    const err = bad.output();
    expect(code).toBe(1);
    expect(err).toContain("Invalid environment configuration");
    for (const name of ["PORT", "DATABASE_URL", "LOG_LEVEL"]) expect(err).toContain(`  ${name}:`);
  }, 60_000);

  it.each([
    ["api", {}, ["DATABASE_URL", "TEMPORAL_ADDRESS", "VOLANTE_PUBLIC_URL", "SMTP_URL"]],
    [
      "worker",
      { DATABASE_URL: "postgres://127.0.0.1:1/none" },
      ["TEMPORAL_ADDRESS", "VOLANTE_PUBLIC_URL", "SMTP_URL"],
    ],
  ])(
    "refuses `volante %s` without the setup every process must share, naming each missing variable and why, exit code 1",
    async (role, set: Record<string, string>, missing) => {
      const env: Record<string, string | undefined> = { ...process.env, ...set };
      for (const name of ["DATABASE_URL", "TEMPORAL_ADDRESS", "VOLANTE_PUBLIC_URL", "SMTP_URL"])
        if (!(name in set)) delete env[name];
      const refused = runVolante([role], env);
      expect(await refused.exited).toBe(1);
      const err = refused.output();
      for (const name of missing) expect(err).toMatch(new RegExp(`  ${name} is not set: \\S`));
      for (const name of Object.keys(set)) expect(err).not.toContain(`${name} is not set`);
    },
    60_000,
  );
});
