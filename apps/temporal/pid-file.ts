import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { basename } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import { stopGraceMs } from "./server-process";

/** Kills the Temporal dev server named in `pidFile` by an earlier run that did not stop it. */
export async function killStaleServer(pidFile: string, onLog?: (line: string) => void): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(await readFile(pidFile, "utf8"), 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) {
    await rm(pidFile, { force: true });
    return;
  }
  const command = await commandLineOf(pid);
  // The pid may have been reused by an unrelated process since the crash: only kill a Temporal server.
  if (!command || !isTemporalServer(command)) {
    onLog?.(`${pidFile} names pid ${pid}, which is not a Temporal dev server; leaving it alone`);
    await rm(pidFile, { force: true });
    return;
  }
  onLog?.(`Stopping Temporal dev server ${pid} left over from an earlier run (${pidFile})`);
  const gone = async () => {
    const end = Date.now() + stopGraceMs;
    while (isAlive(pid)) {
      if (Date.now() > end) return false;
      await delay(50);
    }
    return true;
  };
  try {
    process.kill(pid, "SIGTERM");
    if (!(await gone())) {
      process.kill(pid, "SIGKILL");
      await gone();
    }
  } catch (err) {
    onLog?.(`Could not stop pid ${pid}: ${(err as Error).message}`);
    return;
  }
  await rm(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else, so it is not ours to kill either way.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function commandLineOf(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return raw.split("\0").filter((a) => a !== "");
  } catch {
    if (process.platform === "linux") return undefined;
  }
  try {
    const { stdout } = await promisify(execFile)("ps", ["-o", "command=", "-p", String(pid)]);
    return stdout.trim().split(/\s+/);
  } catch {
    return undefined;
  }
}

function isTemporalServer(argv: string[]): boolean {
  return basename(argv[0] ?? "").startsWith("temporal") && argv.includes("start-dev");
}

/** removePidFile for the exit event, where only synchronous work runs. */
export function removePidFileSync(pidFile: string, pid: number): void {
  try {
    if (Number.parseInt(readFileSync(pidFile, "utf8"), 10) === pid) rmSync(pidFile, { force: true });
  } catch {
    // Already gone.
  }
}

export async function removePidFile(pidFile: string, pid: number): Promise<void> {
  try {
    // Another run may have taken the file over since; only remove our own.
    if (Number.parseInt(await readFile(pidFile, "utf8"), 10) === pid) await rm(pidFile, { force: true });
  } catch {
    // Already gone.
  }
}
