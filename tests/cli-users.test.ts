import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = new URL("..", import.meta.url).pathname;
let dir: string;

/** Runs the real CLI on a home nothing runs on: it opens the embedded database itself. */
function volante(
  home: string,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    VOLANTE_HOME: home,
    TEMPORAL_PORT: "1",
    DATABASE_URL: undefined,
    VOLANTE_API_KEY: undefined,
    VOLANTE_PUBLIC_URL: "https://volante.acme.example",
  };
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(root, "node_modules/tsx/dist/cli.mjs"), "apps/cli/main.ts", ...args],
      {
        cwd: root,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "volante-cli-users-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("volante users and role keys", () => {
  it("creates the first admin with a set-password link, lists people, and makes a read-only key", async () => {
    const home = join(dir, "fresh");
    const none = await volante(home, "users", "create", "--email", "ada@acme.example", "--name", "Ada");
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no workspace yet");

    expect((await volante(home, "workspaces", "create", "Acme")).code).toBe(0);
    const created = await volante(home, "users", "create", "--email", "Ada@Acme.example", "--name", "Ada");
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^Person \S+: ada@acme\.example \(admin\)$/m);
    expect(created.stdout).toMatch(
      /^Set the password \(once, within 7 days\): https:\/\/volante\.acme\.example\/app\/set-password\?token=[\w-]{43}$/m,
    );

    const again = await volante(home, "users", "create", "--email", "ada@acme.example", "--name", "Ada");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already a person of this workspace");

    const badRole = await volante(
      home,
      "users",
      "create",
      "--email",
      "b@acme.example",
      "--name",
      "B",
      "--role",
      "boss",
    );
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toContain("Allowed choices are viewer, csm, cs_ops, admin");

    const list = await volante(home, "users", "list");
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/ada@acme\.example {2}Ada {2}admin {2}invited/);

    const key = await volante(home, "keys", "create", "--name", "dashboards", "--role", "viewer");
    expect(key.code).toBe(0);
    const keys = await volante(home, "keys", "list");
    expect(keys.stdout).toMatch(/dashboards {2}workspace \S+ \(Acme\) {2}active {2}role viewer$/m);
  }, 240_000);
});
