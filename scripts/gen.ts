import { readFile, writeFile } from "node:fs/promises";
import { JOURNEY_SCHEMA_FILE, journeyJsonSchema } from "../workflows/journey/json-schema";
import { journeyReference } from "./journey-reference";

/**
 * `npm run gen` writes the files generated from the journey zod schema; `npm run gen -- --check`
 * writes nothing and fails when a committed one is stale (CI runs it in `npm run lint`).
 */

export const REFERENCE_FILE = "docs/guide/journey-reference.md";

/** Every generated file, by path from the repository root, with the content it should have. */
export function generatedFiles(): Record<string, string> {
  const schema = journeyJsonSchema();
  return {
    [JOURNEY_SCHEMA_FILE]: `${JSON.stringify(schema, null, 2)}\n`,
    [REFERENCE_FILE]: journeyReference(schema),
  };
}

async function main() {
  const check = process.argv.includes("--check");
  const root = new URL("../", import.meta.url);
  const stale: string[] = [];
  for (const [path, content] of Object.entries(generatedFiles())) {
    const file = new URL(path, root);
    const current = await readFile(file, "utf8").catch(() => undefined);
    if (current === content) continue;
    if (check) stale.push(path);
    else {
      await writeFile(file, content);
      console.log(`wrote ${path}`);
    }
  }
  if (stale.length > 0) {
    console.error(`Stale generated files (run \`npm run gen\` and commit them):\n  ${stale.join("\n  ")}`);
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
