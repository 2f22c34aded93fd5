import { readFile } from "node:fs/promises";

/** A Volante killed a moment ago may still be tearing down: give it `graceMs` to go. */
export async function stillAlive(pid: number, graceMs: number): Promise<boolean> {
  const deadline = Date.now() + graceMs;
  while (await isAlive(pid)) {
    if (Date.now() >= deadline) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * Whether `pid` is a running process. A SIGKILLed Volante can linger as a zombie until whatever
 * adopted it reaps it (some container inits never do); `kill(pid, 0)` still succeeds on a zombie,
 * so on Linux its state in /proc decides.
 */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (stat === undefined) return process.platform !== "linux";
  // The state follows the parenthesised command name, which may itself contain spaces.
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}
