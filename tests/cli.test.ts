import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = new URL("..", import.meta.url).pathname;
let dir: string;

/** Runs the real CLI (`npm run volante -- …` runs the same entry point). */
function volante(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(root, "node_modules/tsx/dist/cli.mjs"), "apps/cli/main.ts", ...args],
      {
        cwd: root,
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

  it("says clearly when the file is missing or not JSON", async () => {
    const missing = await volante("journeys", "validate", join(dir, "nope.json"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("cannot read (ENOENT)");
    const notJson = join(dir, "text.json");
    await writeFile(notJson, "steps: []");
    expect((await volante("journeys", "validate", notJson)).stderr).toContain("not valid JSON");
  });
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
