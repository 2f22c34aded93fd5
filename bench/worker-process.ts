import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { Client, Connection } from "@temporalio/client";
import { DefaultLogger, NativeConnection, Runtime } from "@temporalio/worker";
import { Command } from "commander";
import { loadRenderer } from "../apps/core/delivery/render";
import { systemClock } from "../apps/core/shared/services";
import { loadFileTemplates } from "../apps/core/templates/files";
import { createLogger } from "../apps/logger";
import { openDatabase } from "../db/client";
import { createBenchWorker } from "./worker";

/**
 * The worker alone in a process of its own (spawned by bench/stack.ts), so the memory scenario
 * measures the worker and nothing else: the worker `npm start` runs (with the bench bundle and its
 * no-op activity), on the bench's database, server and task queue. Prints "ready" once it polls;
 * answers each "memory" line on stdin with its resident set and peak resident set in bytes (JSON);
 * SIGTERM drains it.
 */
const options = new Command()
  .requiredOption("--database-url <url>")
  .requiredOption("--temporal-address <host:port>")
  .requiredOption("--task-queue <name>")
  .requiredOption("--outbox <dir>")
  .requiredOption("--workflow-bundle <file>")
  .requiredOption("--max-cached-workflows <n>", "runs kept in the workflow cache", Number)
  .parse()
  .opts<{
    databaseUrl: string;
    temporalAddress: string;
    taskQueue: string;
    outbox: string;
    workflowBundle: string;
    maxCachedWorkflows: number;
  }>();
Runtime.install({ logger: new DefaultLogger("ERROR"), shutdownSignals: [] });
const database = await openDatabase({ url: options.databaseUrl, max: 10 });
const native = await NativeConnection.connect({ address: options.temporalAddress });
const connection = await Connection.connect({ address: options.temporalAddress });
const worker = await createBenchWorker({
  connection: native,
  namespace: "default",
  taskQueue: options.taskQueue,
  db: database.db,
  clock: systemClock,
  // The webhook receivers here listen on loopback.
  outbound: { allow: ["127.0.0.0/8", "::1"] },
  renderer: await loadRenderer(),
  log: createLogger("error"),
  client: new Client({ connection }),
  outboxDir: options.outbox,
  fileTemplates: await loadFileTemplates(),
  publicUrl: "http://localhost:3000",
  workflowBundle: { codePath: options.workflowBundle },
  maxCachedWorkflows: options.maxCachedWorkflows,
});
process.once("SIGTERM", () => worker.shutdown());
const running = worker.run();
// What the resident set held at its highest sample: V8's heap, buffers outside it, and the rest
// (the SDK's Rust core, the allocator, code), so a figure says where the memory went.
let atPeak = process.memoryUsage();
setInterval(() => {
  const now = process.memoryUsage();
  if (now.rss > atPeak.rss) atPeak = now;
}, 100).unref();
createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() !== "memory") return;
  const rss = process.memoryUsage().rss;
  const breakdown = { heap: atPeak.heapTotal, external: atPeak.external, sampled: atPeak.rss };
  process.stdout.write(`${JSON.stringify({ rss, peak: peakRss(), breakdown })}\n`);
});
/**
 * This process's highest resident set, in bytes. On Linux VmHWM, this program's own: getrusage's
 * maxRSS carries over what the process held before exec, and a child forked from the bench's
 * process starts out as big as the bench (a full run reported 971 MiB where the highest sample was 408).
 */
function peakRss(): number {
  try {
    const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    if (kib) return Number(kib) * 1024;
  } catch {
    // Not Linux: getrusage is all there is.
  }
  return process.resourceUsage().maxRSS * 1024; // KiB
}

process.stdout.write("ready\n");
await running;
await native.close();
await connection.close();
await database.close();
process.exit(0);
