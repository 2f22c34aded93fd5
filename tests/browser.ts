import { access, constants } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { type Browser, chromium as playwright } from "playwright-core";

async function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** `CHROMIUM_PATH`, else a Chromium or Chrome on PATH (or in /usr/bin). */
async function systemChromium(): Promise<string | undefined> {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const dirs = [...new Set([...(process.env.PATH ?? "").split(delimiter).filter(Boolean), "/usr/bin"])];
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    for (const dir of dirs) if (await executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * Real Chromium, offline: a system Chromium when there is one, else the binary @sparticuz/chromium
 * ships in its npm package. Without --disable-web-security: the widget's page is on another origin
 * and CORS must really let it in.
 */
export async function launchBrowser(): Promise<Browser> {
  const quiet = "--disable-background-networking";
  const system = await systemChromium();
  if (system) {
    const root = process.getuid?.() === 0;
    return playwright.launch({
      executablePath: system,
      args: [quiet, ...(root ? ["--no-sandbox"] : [])],
      headless: true,
    });
  }
  const { default: chromium } = await import("@sparticuz/chromium");
  return playwright.launch({
    executablePath: await chromium.executablePath(),
    args: [...chromium.args.filter((a) => a !== "--disable-web-security"), quiet],
    headless: true,
  });
}

/**
 * The packaged Chromium's binary, unpacked to /tmp on first use. The global setup unpacks it before
 * the test files start: files unpacking it at once would launch a binary another is still writing
 * (ETXTBSY). Nothing to do with a system Chromium.
 */
export async function packagedChromium(): Promise<string | undefined> {
  if (await systemChromium()) return undefined;
  const { default: chromium } = await import("@sparticuz/chromium");
  return chromium.executablePath();
}
