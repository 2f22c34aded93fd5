import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { duplicateWindowMs, stopOnSignals } from "../apps/cli/signals";
import { eventually, freePort } from "./harness";

// `npm start` exactly as an operator runs it, in its own process group as a terminal would: Ctrl-C
// (SIGINT) or SIGTERM reaches every process of the group, and the embedded Temporal server is SIGKILLed.
const root = new URL("..", import.meta.url).pathname;
const apiKey = `vk_supervise_${randomBytes(12).toString("hex")}`;
let home: string;
const groups: ChildProcess[] = [];

async function npmStart() {
  const port = await freePort();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    VOLANTE_HOME: home,
    VOLANTE_API_KEY: apiKey,
    PORT: String(port),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    LOG_LEVEL: "info",
  };
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  delete env.SMTP_URL;
  const child = spawn("npm", ["start"], {
    cwd: root,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  groups.push(child);
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      return output.includes("Press Ctrl-C") ? true : undefined;
    },
    "npm start to be up",
    120_000,
  );
  const base = `http://127.0.0.1:${port}`;
  const request = (method: string, path: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  /** Signals the whole process group, as a terminal does; resolves with the exit code and how long it took. */
  const signalGroup = async (signal: NodeJS.Signals) => {
    const started = performance.now();
    process.kill(-(child.pid ?? 0), signal);
    const code = await exited;
    return { code, ms: performance.now() - started };
  };
  return { base, request, signalGroup, output: () => output };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "volante-supervise-"));
});
/** A test that failed halfway leaves its `npm start` running: the next one needs the state directory. */
async function killLeftovers() {
  for (const child of groups) {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid, "SIGKILL");
      await gone;
    }
  }
}

afterEach(killLeftovers);
afterAll(async () => {
  await killLeftovers();
  for (const child of groups) {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  await rm(home, { recursive: true, force: true });
});

describe("npm start, supervised", () => {
  it("rides out a SIGKILLed Temporal server: 503 with Retry-After at once, a refused resume leaves the journey paused, the stage change made meanwhile starts its journey, /healthz recovers, then Ctrl-C exits 0 with no pid file left", async () => {
    const volante = await npmStart();
    const { request } = volante;
    expect((await request("PUT", "/v1/accounts/acme", { name: "Acme", tier: "tech_touch" })).status).toBe(
      201,
    );
    await request("PUT", "/v1/accounts/acme/contacts/taro", { email: "taro@acme.example", role: "admin" });
    const welcome = [{ id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" }];
    await request("PUT", "/v1/journeys/manual", {
      name: "Manual",
      trigger: { type: "manual" },
      steps: welcome,
    });
    await request("PUT", "/v1/journeys/adopt", {
      name: "Adoption",
      trigger: { type: "stage_entered", stage: "adoption" },
      steps: welcome,
    });
    expect((await request("POST", "/v1/journeys/manual/publish")).status).toBe(201);
    expect((await request("POST", "/v1/journeys/adopt/publish")).status).toBe(201);
    expect((await request("POST", "/v1/journeys/adopt/pause")).status).toBe(200);

    const serverPid = Number(await readFile(join(home, "temporal.pid"), "utf8"));
    process.kill(serverPid, "SIGKILL");

    for (const [method, path, body] of [
      ["POST", "/v1/enrollments", { journey: "manual", account: "acme" }],
      ["POST", "/v1/health/recompute", undefined],
    ] as const) {
      const started = performance.now();
      const res = await request(method, path, body);
      const ms = performance.now() - started;
      if (res.status !== 503) throw new Error(`${method} ${path}: ${res.status}\n${volante.output()}`);
      expect(ms).toBeLessThan(2_000);
      expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(((await res.json()) as { type: string }).type).toBe("urn:volante:problem:temporal-unavailable");
    }
    // Nothing was recorded for the refused enrollment.
    const none = (await (await request("GET", "/v1/enrollments?journey=manual")).json()) as {
      data: unknown[];
    };
    expect(none.data).toHaveLength(0);

    // The stage change is the account's fact: kept, and its journey starts once Temporal is back.
    expect((await request("PATCH", "/v1/accounts/acme", { lifecycleStage: "adoption" })).status).toBe(200);
    // Resuming cannot tell that enrollment's run: refused, and the journey is left paused, not active.
    const resume = await request("POST", "/v1/journeys/adopt/resume");
    expect(resume.status).toBe(503);
    const adopt = (await (await request("GET", "/v1/journeys/adopt")).json()) as { status: string };
    expect(adopt.status).toBe("paused");

    await eventually(
      async () => ((await fetch(`${volante.base}/healthz`)).status === 200 ? true : undefined),
      "/healthz to answer 200 again",
      60_000,
    );
    const restartedPid = Number(await readFile(join(home, "temporal.pid"), "utf8"));
    expect(restartedPid).not.toBe(serverPid);
    expect(volante.output()).toContain("restarting it in 1 s");
    expect((await request("POST", "/v1/journeys/adopt/resume")).status).toBe(200);
    const adopted = await eventually(
      async () => {
        const res = await request("GET", "/v1/enrollments?journey=adopt");
        const { data } = (await res.json()) as { data: { status: string; trigger: string }[] };
        return data[0]?.status === "completed" ? data[0] : undefined;
      },
      "the adoption journey to run",
      60_000,
    );
    expect(adopted.trigger).toBe("stage_entered:adoption");
    // And what was refused during the outage works now.
    expect((await request("POST", "/v1/enrollments", { journey: "manual", account: "acme" })).status).toBe(
      201,
    );

    const { code, ms } = await volante.signalGroup("SIGINT");
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(volante.output()).toContain("Stopped.");
    expect(volante.output()).not.toContain("again: exiting now");
    expect(await exists(join(home, "volante.pid"))).toBe(false);
    expect(await exists(join(home, "temporal.pid"))).toBe(false);
    expect(alive(restartedPid)).toBe(false);
  }, 300_000);

  it("stops on SIGTERM to the process group: exit 0 within 10 s, Temporal stopped, no pid file left", async () => {
    const volante = await npmStart();
    const serverPid = Number(await readFile(join(home, "temporal.pid"), "utf8"));
    const { code, ms } = await volante.signalGroup("SIGTERM");
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(await exists(join(home, "volante.pid"))).toBe(false);
    expect(await exists(join(home, "temporal.pid"))).toBe(false);
    expect(alive(serverPid)).toBe(false);
  }, 180_000);
});

describe("stop signals", () => {
  function listen() {
    const lines: string[] = [];
    const exits: number[] = [];
    let clock = 0;
    let finish: () => void = () => {};
    const signals = new EventEmitter();
    const unlisten = stopOnSignals({
      source: signals,
      stop: () => new Promise<void>((resolve) => (finish = resolve)),
      print: (line) => lines.push(line),
      exit: (code) => exits.push(code),
      now: () => clock,
    });
    return {
      lines,
      exits,
      unlisten,
      send: (signal: NodeJS.Signals) => signals.emit(signal),
      finish: () => finish(),
      advance: (ms: number) => (clock += ms),
    };
  }

  it("treats the same signal again within a second as the relayed duplicate, and a later one as a forced exit", async () => {
    const s = listen();
    try {
      s.send("SIGINT");
      s.advance(duplicateWindowMs / 2);
      process.emit("SIGINT");
      expect(s.exits).toEqual([]);
      s.advance(duplicateWindowMs);
      s.send("SIGINT");
      expect(s.exits).toEqual([130]);
    } finally {
      s.unlisten();
    }
  });

  it("forces exit on a different signal at once, and exits 0 once a graceful stop finishes", async () => {
    const forced = listen();
    try {
      forced.send("SIGINT");
      forced.send("SIGTERM");
      expect(forced.exits).toEqual([143]);
    } finally {
      forced.unlisten();
    }
    const graceful = listen();
    try {
      graceful.send("SIGTERM");
      graceful.finish();
      await eventually(async () => (graceful.exits.length > 0 ? true : undefined), "the exit");
      expect(graceful.exits).toEqual([0]);
      expect(graceful.lines).toContain("Stopped.");
    } finally {
      graceful.unlisten();
    }
  });
});
