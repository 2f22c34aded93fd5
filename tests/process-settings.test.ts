import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { processSettings } from "../apps/cli/process-settings.mjs";

// How bin.mjs starts `volante worker` (docs/decisions/0045-throughput.md): small young generations and
// two malloc arenas for the worker's memory, and nothing changed for any other command.
describe("the worker's process settings", () => {
  it("gives `volante worker` its flags and MALLOC_ARENA_MAX, and other commands none", () => {
    const worker = processSettings("worker", { PATH: "/bin" });
    expect(worker.nodeFlags).toEqual(["--max-old-space-size=512", "--max-semi-space-size=4"]);
    expect(worker.env).toEqual({ PATH: "/bin", MALLOC_ARENA_MAX: "2" });
    for (const command of ["api", "start", "migrate", undefined]) {
      const other = processSettings(command, { PATH: "/bin" });
      expect(other.nodeFlags).toEqual([]);
      expect(other.env).toEqual({ PATH: "/bin" });
    }
  });

  it("gives a larger workflow cache a higher heap ceiling, 1 MiB a run beyond 250", () => {
    const flags = (cache: string) =>
      processSettings("worker", { TEMPORAL_MAX_CACHED_WORKFLOWS: cache }).nodeFlags[0];
    expect(flags("100")).toBe("--max-old-space-size=512");
    expect(flags("250")).toBe("--max-old-space-size=512");
    expect(flags("6000")).toBe("--max-old-space-size=6262");
    // Not a number: the CLI refuses it by name later; the flags are the default cache's.
    expect(flags("many")).toBe("--max-old-space-size=512");
  });

  it("leaves the operator's own NODE_OPTIONS flag and MALLOC_ARENA_MAX in force", () => {
    const own = processSettings("worker", {
      NODE_OPTIONS: "--max-semi-space-size=16 --enable-source-maps",
      MALLOC_ARENA_MAX: "4",
    });
    expect(own.nodeFlags).toEqual(["--max-old-space-size=512"]);
    expect(own.env.MALLOC_ARENA_MAX).toBe("4");
    expect(own.env.NODE_OPTIONS).toBe("--max-semi-space-size=16 --enable-source-maps");
  });

  it("still starts the CLI through bin.mjs with the worker's flags: an unconfigured worker is refused by name", async () => {
    const bin = fileURLToPath(new URL("../apps/cli/bin.mjs", import.meta.url));
    // Only PATH: the worker role refuses to start without its shared settings, and says which.
    const child = spawn(process.execPath, [bin, "worker"], {
      env: {
        PATH: process.env.PATH ?? "",
        VOLANTE_HOME: join(tmpdir(), "volante-process-settings"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(output).toContain("DATABASE_URL");
    expect(output).toContain("TEMPORAL_ADDRESS");
  });
});
