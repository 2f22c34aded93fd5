import { randomBytes } from "node:crypto";
import { chmod, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * How the CLI reaches a running Volante on the same state directory (docs/decisions/0033-one-writer.md):
 * the server writes a fresh token to `<home>/admin-token` (owner-only) and its loopback URL to
 * `<home>/admin-url` once it listens, and removes both when it stops.
 */
export type AdminAccess = { url: string; token: string };

const tokenFile = (home: string) => join(home, "admin-token");
const urlFile = (home: string) => join(home, "admin-url");

export function generateAdminToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Written after the server listens: the CLI finding these files can call it. */
export async function writeAdminAccess(home: string, token: string, port: number): Promise<void> {
  await writeFile(tokenFile(home), `${token}\n`, { mode: 0o600 });
  // `mode` applies only to a new file; one left by a killed server keeps its own.
  await chmod(tokenFile(home), 0o600);
  await writeFile(urlFile(home), `http://127.0.0.1:${port}\n`);
}

/** At start (a killed server's token is stale) and at stop. */
export async function removeAdminAccess(home: string): Promise<void> {
  await rm(tokenFile(home), { force: true });
  await rm(urlFile(home), { force: true });
}

export async function readAdminAccess(home: string): Promise<AdminAccess | undefined> {
  const [token, url] = await Promise.all([
    readFile(tokenFile(home), "utf8").catch(() => ""),
    readFile(urlFile(home), "utf8").catch(() => ""),
  ]);
  return token.trim() && url.trim() ? { url: url.trim(), token: token.trim() } : undefined;
}
