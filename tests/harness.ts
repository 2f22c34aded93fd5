import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { type AddressInfo, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, Connection } from "@temporalio/client";
import { DefaultLogger, NativeConnection, Runtime, type Worker } from "@temporalio/worker";
import { SMTPServer } from "smtp-server";
import { inject } from "vitest";
import { createApp } from "../apps/api/app";
import type { AppDeps } from "../apps/api/context";
import { createMetrics } from "../apps/api/metrics";
import { createSmtpTransport } from "../apps/core/delivery/mailer";
import { loadRenderer } from "../apps/core/delivery/render";
import { type Clock, type Services, systemClock } from "../apps/core/shared/services";
import { loadFileTemplates } from "../apps/core/templates/files";
import { createWorkspace } from "../apps/core/workspace/api-keys";
import { createLogger, type Logger } from "../apps/logger";
import { installTemporalRuntime } from "../apps/worker/telemetry";
import { createWorker, type WorkerConfig } from "../apps/worker/worker";
import type { Database } from "../db/client";
import { openTestDatabase } from "./test-database";

export type TestStack = {
  app: ReturnType<typeof createApp>;
  deps: AppDeps;
  database: Database;
  client: Client;
  worker: Worker;
  /** What the worker was made from, to start another one (e.g. after a simulated crash). */
  workerConfig: WorkerConfig;
  /** Stops the file's worker (idempotent); close() does it too. */
  stopWorker(): Promise<void>;
  taskQueue: string;
  /** Creates a fresh workspace and returns a request helper authenticated with its key. */
  newWorkspace(name?: string): Promise<TestWorkspace>;
  close(): Promise<void>;
};

export type TestWorkspace = {
  workspaceId: string;
  apiKey: string;
  /** In-process request with this workspace's key; `body` is sent as JSON. */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
};

let counter = 0;
let runtimeInstalled = false;

/** The process's one Temporal Runtime: quiet, or (`log`) logging through Volante's logger as `npm start` does. */
function installRuntime(log?: Logger) {
  if (runtimeInstalled) return;
  if (log) installTemporalRuntime(log, "debug");
  else Runtime.install({ logger: new DefaultLogger("WARN"), shutdownSignals: [] });
  runtimeInstalled = true;
}

/** One real Temporal worker and API per test file, on a task queue of its own. */
export async function startTestStack(
  options: {
    smtpUrl?: string;
    /** The clock core reads; default the system's. */
    clock?: Clock;
    /** `VOLANTE_OUTBOUND_ALLOW` of this stack; default loopback. */
    outboundAllow?: string[];
    /** The services' logger; default warnings and errors to stderr. */
    log?: Logger;
    /** The Temporal SDK's logs go here (the file's first stack decides, one Runtime per process); default quiet. */
    temporalLog?: Logger;
    /** A server database of the file's own (see openTestDatabase). */
    ownDatabase?: boolean;
  } = {},
): Promise<TestStack> {
  installRuntime(options.temporalLog);
  const address = inject("temporalAddress");
  const namespace = inject("temporalNamespace");
  const database = await openTestDatabase({ own: options.ownDatabase });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const nativeConnection = await NativeConnection.connect({ address });
  const taskQueue = `test-${process.pid}-${Date.now()}-${counter++}`;
  const fileTemplates = await loadFileTemplates();
  const outboxDir = await mkdtemp(join(tmpdir(), "volante-outbox-"));
  // One registry for the API and the worker's activities, as in `npm start`.
  const metrics = createMetrics();
  const services: Services = {
    db: database.db,
    client,
    taskQueue,
    namespace,
    outboxDir,
    fileTemplates,
    publicUrl: "http://localhost:3000",
    transport: options.smtpUrl ? createSmtpTransport(options.smtpUrl) : undefined,
    clock: options.clock ?? systemClock,
    // The suites' webhook receivers listen on loopback; the security suite passes [] to see it refused.
    outbound: { allow: options.outboundAllow ?? ["127.0.0.0/8", "::1"] },
    renderer: await loadRenderer(),
    log: options.log ?? createLogger("warn"),
    metrics,
  };
  const workerConfig: WorkerConfig = {
    ...services,
    connection: nativeConnection,
    workflowBundle: { codePath: inject("workflowBundlePath") },
  };
  const worker = await createWorker(workerConfig);
  const running = worker.run();
  let workerStopped: Promise<void> | undefined;
  const stopWorker = () => {
    if (!workerStopped) {
      worker.shutdown();
      workerStopped = running;
    }
    return workerStopped;
  };
  const deps: AppDeps = { ...services, metrics, info: { database: database.driver } };
  const app = createApp(deps);

  return {
    app,
    deps,
    database,
    client,
    worker,
    taskQueue,
    async newWorkspace(name = "Test workspace") {
      const { workspaceId, apiKey } = await createWorkspace(database.db, name);
      return {
        workspaceId,
        apiKey,
        request: async (method, path, body, headers = {}) =>
          app.request(path, {
            method,
            headers: {
              authorization: `Bearer ${apiKey}`,
              ...(body !== undefined ? { "content-type": "application/json" } : {}),
              ...headers,
            },
            ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
          }),
      };
    },
    workerConfig,
    stopWorker,
    async close() {
      await stopWorker();
      await nativeConnection.close();
      await connection.close();
      await database.close();
      await services.renderer.close();
      // Its pooled connections would otherwise hold the file's SMTP server open for its 30 s close timeout.
      services.transport?.close();
      await rm(outboxDir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

export type WebhookReceiver = {
  url: string;
  received: { headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }[];
  close(): Promise<void>;
};

/**
 * A real HTTP server on a free port that records the JSON posted to it and answers 200, or each
 * request with the next of `statuses` (the last one repeats), e.g. `[503, 200]`.
 */
export async function webhookReceiver(statuses: number[] = [200]): Promise<WebhookReceiver> {
  const received: WebhookReceiver["received"] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk) => {
      text += chunk;
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
      const status = statuses[Math.min(received.length, statuses.length) - 1] ?? 200;
      res.writeHead(status).end(status < 300 ? "ok" : "no");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export type ReceivedMail = { to: string[]; raw: Buffer };

export type SmtpSink = {
  url: string;
  mail: ReceivedMail[];
  /** Every DATA attempt per recipient, accepted or refused. */
  attempts: Map<string, number>;
  close(): Promise<void>;
};

/**
 * A real SMTP server (smtp-server) on a free port. Recipients whose local part starts with
 * `flaky` are refused once with 451 (transient), `bounce` always with 550 (permanent).
 */
export async function smtpSink(): Promise<SmtpSink> {
  const mail: ReceivedMail[] = [];
  const attempts = new Map<string, number>();
  const server = await smtpServer(({ to, raw }, answer) => {
    const first = to[0] ?? "";
    const n = (attempts.get(first) ?? 0) + 1;
    attempts.set(first, n);
    const fail = (code: number, text: string) =>
      answer(Object.assign(new Error(text), { responseCode: code }));
    if (first.startsWith("bounce")) return fail(550, "5.1.1 mailbox unavailable");
    if (first.startsWith("flaky") && n === 1) return fail(451, "4.3.0 try again later");
    mail.push({ to, raw });
    answer();
  });
  return { ...server, mail, attempts };
}

/**
 * A real SMTP server (smtp-server) on a free port that hands every message to `onMessage`, which
 * answers it: `answer()` accepts, `answer(error)` refuses, never calling it leaves the sender waiting.
 */
export async function smtpServer(
  onMessage: (message: { to: string[]; raw: Buffer }, answer: (error?: Error) => void) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        onMessage(
          { to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) },
          callback,
        );
      });
    },
  });
  // A sender that dies mid-transaction resets its socket, which smtp-server re-emits as the
  // server's "error": without a listener that is an uncaught exception in the test process.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A port for another process to bind later (a child's PORT, TEMPORAL_PORT…). Picked below the
 * kernel's ephemeral range: a port-0 listener or an outgoing connection of any process can take a
 * port inside it between this check and the child's bind (once a Temporal dev server of
 * supervision.test.ts could not bind its UI port). Below it, only another test's pick can collide.
 */
export async function freePort(): Promise<number> {
  const below = await ephemeralStart();
  const span = 12_000;
  // Bounded: 50 random ports; a port in use is simply passed over.
  for (let i = 0; i < 50; i++) {
    const port = below - span + Math.floor(Math.random() * span);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found below ${below} in 50 tries`);
}

/** The first port of the kernel's ephemeral range (Linux); IANA's 49152 elsewhere. */
async function ephemeralStart(): Promise<number> {
  const range = await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8").catch(() => "");
  const low = Number.parseInt(range.trim().split(/\s+/)[0] ?? "", 10);
  return Number.isInteger(low) && low > 13_000 ? low : 49_152;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createTcpServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

const root = new URL("..", import.meta.url).pathname;

/**
 * Stops a `volante` child a test left running, as an operator would: SIGTERM reaches tsx's child,
 * which stops its dev server and database; SIGKILL of tsx alone would orphan both. Killed if it has
 * not stopped within `graceMs`.
 */
export async function stopVolante(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

export type VolanteProcess = {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
};

/**
 * `volante <args>` as a user runs it (apps/cli/main.ts through tsx) in a child process with exactly
 * `env`; `detached` gives it a process group of its own, so one kill takes everything it started.
 */
export function runVolante(
  args: string[],
  env: Record<string, string | undefined>,
  options: { detached?: boolean } = {},
): VolanteProcess {
  const child = spawn(
    process.execPath,
    [join(root, "node_modules/tsx/dist/cli.mjs"), "apps/cli/main.ts", ...args],
    {
      cwd: root,
      env,
      detached: options.detached ?? false,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}
