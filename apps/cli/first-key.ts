import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Where the first start leaves the bootstrap workspace's API key. */
export function firstKeyFile(home: string): string {
  return join(home, "first-api-key");
}

/**
 * Keeps the first start's API key in `<home>/first-api-key`, readable by its owner only, before the
 * workspace holding it exists (a failed write then leaves no workspace whose key nobody has). The key
 * is printed only to a terminal: a service manager or CI would keep stdout in a log others read.
 */
export async function keepFirstKey(home: string, apiKey: string): Promise<void> {
  const file = firstKeyFile(home);
  await writeFile(file, `${apiKey}\n`, { mode: 0o600 });
  // `mode` applies only to a new file; one left by an earlier state directory keeps its own.
  await chmod(file, 0o600);
}

/** What `npm start` prints about the key it just made. */
export function firstKeyLines(home: string, apiKey: string, terminal: boolean): string[] {
  const file = firstKeyFile(home);
  return terminal
    ? [`  API key       ${apiKey}`, `                (also in ${file}, readable by you only; keep it safe)`]
    : [`  API key       in ${file} (readable by this user only; not printed, as output is not a terminal)`];
}
