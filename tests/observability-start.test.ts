import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, freePort } from "./harness";

// `npm start` with its output going to pipes (a file, a collector): JSON lines on stderr.
const root = new URL("..", import.meta.url).pathname;
let home: string;
let stop: (() => void) | undefined;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "volante-logs-"));
});
afterAll(async () => {
  stop?.();
  await rm(home, { recursive: true, force: true });
});

describe("npm start's logs and metrics", () => {
  it("writes JSON lines without colour codes to a pipe, a request line per request, and serves the Temporal SDK's metrics on /metrics", async () => {
    const port = await freePort();
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      VOLANTE_HOME: home,
      PORT: String(port),
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      LOG_LEVEL: "info",
    };
    for (const name of ["DATABASE_URL", "TEMPORAL_ADDRESS", "VOLANTE_API_KEY", "LOG_FORMAT"])
      delete env[name];
    const child = spawn(
      process.execPath,
      [join(root, "node_modules/tsx/dist/cli.mjs"), "apps/cli/main.ts", "start"],
      {
        cwd: root,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    stop = () => child.exitCode === null && child.kill("SIGKILL");
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`volante exited early:\n${stdout}\n${stderr}`);
        const res = await fetch(`${base}/healthz`).catch(() => undefined);
        return res?.status === 200 && stdout.includes("Press Ctrl-C") ? true : undefined;
      },
      "npm start to answer /healthz",
      90_000,
    );

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^volante_http_requests_total\{/m);
    expect(metrics).toMatch(/^volante_escalations_open|^# HELP volante_escalations_open /m);
    // The SDK's own (worker pollers, slots, request counts), read from its exporter on loopback.
    expect(metrics).toMatch(/^temporal_\w+/m);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);

    const lines = stderr.split("\n").filter((l) => l.trim() !== "");
    expect(lines.length).toBeGreaterThan(0);
    expect(stderr).not.toContain("\u001b[");
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of records)
      expect(r).toMatchObject({
        level: expect.any(String),
        time: expect.any(String),
        msg: expect.any(String),
      });
    expect(records).toContainEqual(
      expect.objectContaining({ msg: "request", method: "GET", route: "/metrics", status: 200 }),
    );
    // The Temporal SDK's lines (its worker's lifecycle) come through the same logger.
    expect(records.some((r) => r.sdk === "worker" || r.sdk === "core")).toBe(true);
  }, 150_000);
});
