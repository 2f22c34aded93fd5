import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = new URL("..", import.meta.url).pathname;
let dir: string;

/** Runs the real CLI (`npm run volante -- …` runs the same entry point). */
function volante(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return volanteWith(process.env, ...args);
}

function volanteWith(
  env: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
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
  dir = await mkdtemp(join(tmpdir(), "volante-cli-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("volante journeys validate", () => {
  it("accepts a shipped playbook", async () => {
    const { code, stdout } = await volante(
      "journeys",
      "validate",
      "templates/journeys/onboarding-tech-touch.json",
    );
    expect(code).toBe(0);
    expect(stdout).toContain("valid");
  });

  it("prints every problem with its pointer and exits 1", async () => {
    const file = join(dir, "bad.json");
    await writeFile(
      file,
      JSON.stringify({
        key: "bad",
        name: "Bad",
        trigger: { type: "manual" },
        steps: [
          { id: "hello", type: "email", template: "onboarding-welcome", to: "role:admin", next: "invte" },
          { id: "invite", type: "wait", duration: "three days" },
        ],
      }),
    );
    const { code, stderr } = await volante("journeys", "validate", file);
    expect(code).toBe(1);
    expect(stderr).toContain("/steps/0/next: unknown step");
    expect(stderr).toContain('did you mean "invite"');
    expect(stderr).toContain("/steps/1/duration");
  });

  it("names the fact meant for an unknown one, and lists the facts there are", async () => {
    const file = join(dir, "fact.json");
    await writeFile(
      file,
      JSON.stringify({
        key: "fact",
        name: "Fact",
        trigger: { type: "manual" },
        steps: [
          {
            id: "low",
            type: "branch",
            if: { fact: "helth.score", op: "lt", value: 50 },
            then: "hi",
            else: "hi",
          },
          { id: "hi", type: "email", template: "onboarding-welcome", to: "role:admin" },
        ],
      }),
    );
    const { code, stderr } = await volante("journeys", "validate", file);
    expect(code).toBe(1);
    expect(stderr).toContain(
      '/steps/0/if/fact: "helth.score" is not a known fact (did you mean "health.score"?)',
    );
    expect(stderr).toContain("known facts: health.score, health.band, deployment.ratio");
    expect(stderr).toContain("attributes.<key>, event.<name>.count");
  });

  it("says clearly when the file is missing or not JSON", async () => {
    const missing = await volante("journeys", "validate", join(dir, "nope.json"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("cannot read (ENOENT)");
    const notJson = join(dir, "text.json");
    await writeFile(notJson, "steps: []");
    expect((await volante("journeys", "validate", notJson)).stderr).toContain("not valid JSON");
  });
});

describe("volante --version", () => {
  it("prints package.json's version", async () => {
    const { version } = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { version: string };
    const { code, stdout } = await volante("--version");
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(version);
  });
});

describe("volante keys, before any start", () => {
  it("lists no keys rather than failing, then re-issues a key offline for the workspace named", async () => {
    // Nothing runs on this home: the CLI opens (and creates) the embedded database itself.
    const home = join(dir, "never-started");
    const env = {
      ...process.env,
      VOLANTE_HOME: home,
      TEMPORAL_PORT: "1",
      DATABASE_URL: undefined,
      VOLANTE_API_KEY: undefined,
    };
    const list = await volanteWith(env, "keys", "list");
    expect(list.stderr).toBe("");
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("No keys yet: `volante start` makes the first workspace and its key.");

    const none = await volanteWith(env, "keys", "create");
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no workspace yet: `volante start` makes the first one");

    const created = await volanteWith(env, "workspaces", "create", "Acme");
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("Temporal is not reachable");
    const workspace = /^Workspace (\S+)$/m.exec(created.stdout)?.[1] ?? "";
    const unknown = await volanteWith(env, "keys", "create", "--workspace", "acme");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no workspace acme");
    const again = await volanteWith(
      env,
      "keys",
      "create",
      "--workspace",
      workspace,
      "--name",
      "lost-first-key",
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^Key \\S+ for workspace ${workspace}\nAPI key vk_`));
    // The command gave the home back: nothing holds it now.
    await expect(readFile(join(home, "volante.pid"), "utf8")).rejects.toThrow();
  }, 180_000);
});

describe("volante journeys simulate", () => {
  it("simulates a playbook and prints a summary table", async () => {
    const { code, stdout } = await volante(
      "journeys",
      "simulate",
      "templates/journeys/onboarding-tech-touch.json",
      "--accounts",
      "300",
      "--days",
      "90",
      "--from",
      "2026-01-01",
    );
    expect(code).toBe(0);
    expect(stdout).toContain("Onboarding");
    expect(stdout).toMatch(/enrolled\s+\d+/);
    expect(stdout).toMatch(/escalations\s+\d+/);
    expect(stdout).toContain("touches by step");
    expect(stdout).toMatch(/welcome\s+\d+/);
  });

  it("prints JSON with --json", async () => {
    const { code, stdout } = await volante(
      "journeys",
      "simulate",
      "tests/fixtures/ten-step-journey.json",
      "--accounts",
      "20",
      "--from",
      "2026-01-01",
      "--json",
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { summary: { accounts: number }; window: { to: string } };
    expect(result.summary.accounts).toBe(20);
    expect(result.window.to).toBe("2026-04-01T00:00:00.000Z");
  });

  it("refuses bad options with exit 2", async () => {
    const { code, stderr } = await volante(
      "journeys",
      "simulate",
      "tests/fixtures/ten-step-journey.json",
      "--accounts",
      "many",
    );
    expect(code).toBe(2);
    expect(stderr).toContain("--accounts");
  });

  it.each([
    ["--accounts", "10abc"],
    ["--accounts", "1e3"],
    ["--days", "30days"],
    ["--from", "1"],
  ])("refuses %s %s rather than reading a value out of part of it (exit 2)", async (option, value) => {
    const { code, stderr } = await volante(
      "journeys",
      "simulate",
      "tests/fixtures/ten-step-journey.json",
      option,
      value,
    );
    expect(code).toBe(2);
    expect(stderr).toContain(`${option} must be`);
  });
});
