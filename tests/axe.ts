import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

const require = createRequire(import.meta.url);
let source: Promise<string> | undefined;

type Violation = { id: string; impact?: string | null; help: string; nodes: { target: unknown[] }[] };

/**
 * axe-core's serious and critical violations on the page as it is now, one line each (empty when
 * there are none). The script is evaluated through the DevTools protocol, so the console's CSP, which
 * forbids inline script, stays on for the test.
 */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  source ??= readFile(require.resolve("axe-core/axe.min.js"), "utf8");
  const axe = await source;
  // A string is evaluated as a script: axe-core's own source, from node_modules, defines window.axe.
  await page.evaluate(axe);
  const violations = (await page.evaluate(async () => {
    const { axe } = globalThis as unknown as { axe: { run: () => Promise<{ violations: unknown[] }> } };
    const { violations } = await axe.run();
    // axe's colour checks leave empty style="" attributes behind; an htmx swap that copies one onto
    // new content would then be reported by the CSP as an inline style the page never had.
    const { document } = globalThis as unknown as {
      document: { querySelectorAll: (s: string) => Iterable<{ removeAttribute: (a: string) => void }> };
    };
    for (const element of document.querySelectorAll('[style=""]')) element.removeAttribute("style");
    return violations;
  })) as Violation[];
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")}`,
    );
}
