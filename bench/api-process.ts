import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** `volante api` running in a process of its own, as production runs it (decision 0042). */
export type ApiProcess = { url: string; stop(): Promise<void> };

/**
 * Starts `volante api` on the bench's database and Temporal server, with the bench's key and no
 * request budget, and waits until its /healthz answers 200. Nothing is sent by mail: the SMTP
 * address is required by the role but never reached by the reads measured.
 */
export async function startApiProcess(options: {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  apiKey: string;
  /** Node/V8 flags before the script (`--api-node-flags`), e.g. --cpu-prof. */
  nodeFlags: string[];
  home: string;
  /** The bench's own PATH and HOME (apps/env.ts), for tsx and the SDK. */
  path: string;
  userHome: string | undefined;
}): Promise<ApiProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [...options.nodeFlags, "--import", "tsx", "apps/cli/main.ts", "api"],
    {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: {
        PATH: options.path,
        ...(options.userHome ? { HOME: options.userHome } : {}),
        PORT: String(port),
        VOLANTE_HOME: options.home,
        DATABASE_URL: options.databaseUrl,
        TEMPORAL_ADDRESS: options.temporalAddress,
        TEMPORAL_TASK_QUEUE: options.taskQueue,
        VOLANTE_API_KEY: options.apiKey,
        VOLANTE_PUBLIC_URL: url,
        SMTP_URL: "smtp://127.0.0.1:2525",
        VOLANTE_RATE_LIMIT_KEY: "off",
        VOLANTE_RATE_LIMIT_ADDRESS: "off",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let errors = "";
  child.stderr?.on("data", (d) => {
    errors += d;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    child.kill("SIGTERM");
    await exited;
  };
  // Bounded: 120 tries a half second apart.
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) throw new Error(`volante api exited (${child.exitCode}):\n${errors}`);
    const res = await fetch(`${url}/healthz`).catch(() => undefined);
    if (res?.status === 200) return { url, stop };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await stop();
  throw new Error(`volante api did not answer /healthz within 60 s:\n${errors}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
