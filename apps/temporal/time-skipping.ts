import { mkdir } from "node:fs/promises";
import { TestWorkflowEnvironment } from "@temporalio/testing";
import { formatResolutionFailure, resolveTestServer } from "./binaries";
import { type ProvisionOptions, reportIgnoredExplicitPath, sdkDownloadDir, sdkFailure } from "./provision";

/** The time-skipping test server from a binary we resolved ourselves. */
export function startTimeSkippingEnv(testServerPath: string): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: "existing-path", path: testServerPath } },
  });
}

/** Resolves the time-skipping test server the same way and starts an environment on it. */
export async function provisionTimeSkippingEnv(opts: ProvisionOptions): Promise<TestWorkflowEnvironment> {
  const progress = opts.onProgress ?? (() => {});
  const resolution = await resolveTestServer({ ...opts, onProgress: progress });
  if (resolution.ok) {
    reportIgnoredExplicitPath(opts.explicitPath, resolution, progress);
    return startTimeSkippingEnv(resolution.path);
  }
  const notFound = formatResolutionFailure("test-server", resolution.looked);
  if (opts.download === false) throw new Error(notFound);
  progress(notFound);
  progress(`Falling back to the Temporal SDK's download into ${sdkDownloadDir(opts.cacheDir)}…`);
  try {
    await mkdir(sdkDownloadDir(opts.cacheDir), { recursive: true });
    return await TestWorkflowEnvironment.createTimeSkipping({
      server: {
        executable: { type: "cached-download", downloadDir: sdkDownloadDir(opts.cacheDir), ttl: "30d" },
      },
    });
  } catch (err) {
    throw new Error(
      formatResolutionFailure("test-server", [...resolution.looked, sdkFailure(opts.cacheDir, err)]),
    );
  }
}
