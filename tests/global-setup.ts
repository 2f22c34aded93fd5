import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleWorkflowCode, DefaultLogger } from "@temporalio/worker";
import type { TestProject } from "vitest/node";
import { parseEnv } from "../apps/env";
import { provisionDevServer } from "../apps/temporal/provision";
import { workflowsPath } from "../apps/worker/worker";
import { openDatabase } from "../db/client";
import { migrate } from "../db/migrate";
import { packagedChromium } from "./browser";

declare module "vitest" {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    workflowBundlePath: string;
    /** Set when the suite runs against a PostgreSQL server instead of PGlite. */
    databaseUrl: string | undefined;
    cacheDir: string;
    searchPath: string;
    testServerPath: string | undefined;
  }
}

/**
 * Once per run: a real Temporal dev server (never skipped: failing to get one fails the run with every
 * place searched), the workflow bundle every test worker shares, and migrations on a PostgreSQL server.
 */
export default async function setup(project: TestProject) {
  const parsed = parseEnv(process.env);
  if (!parsed.ok) throw new Error(parsed.message);
  const env = parsed.env;
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`[temporal] ${line}\n`);

  const server = env.TEMPORAL_ADDRESS
    ? undefined
    : await provisionDevServer({
        explicitPath: env.TEMPORAL_CLI_PATH,
        searchPath: env.PATH,
        cacheDir: env.cacheDir,
        ui: false,
        namespace: env.TEMPORAL_NAMESPACE,
        onProgress: log,
      });
  const cleanup = async () => {
    await server?.stop();
  };
  try {
    const tmp = await mkdtemp(join(tmpdir(), "volante-test-"));
    const bundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger("WARN") });
    const workflowBundlePath = join(tmp, "workflow-bundle.js");
    await writeFile(workflowBundlePath, bundle.code);
    await packagedChromium();

    if (env.DATABASE_URL) {
      const database = await openDatabase({ url: env.DATABASE_URL, max: 1 });
      try {
        await migrate(database);
      } finally {
        await database.close();
      }
    }

    project.provide("temporalAddress", env.TEMPORAL_ADDRESS ?? server?.address ?? "");
    project.provide("temporalNamespace", env.TEMPORAL_NAMESPACE);
    project.provide("workflowBundlePath", workflowBundlePath);
    project.provide("databaseUrl", env.DATABASE_URL);
    project.provide("cacheDir", env.cacheDir);
    project.provide("searchPath", env.PATH);
    project.provide("testServerPath", env.TEMPORAL_TEST_SERVER_PATH);
    log(
      `ready in ${Math.round(performance.now() - started)} ms: Temporal at ${env.TEMPORAL_ADDRESS ?? server?.address}, ` +
        `database ${env.DATABASE_URL ? "PostgreSQL (DATABASE_URL)" : "PGlite (in memory, one per test file)"}`,
    );
    return async () => {
      await cleanup();
      await rm(tmp, { recursive: true, force: true });
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
