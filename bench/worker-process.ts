import { Client, Connection } from "@temporalio/client";
import { DefaultLogger, NativeConnection, Runtime } from "@temporalio/worker";
import { Command } from "commander";
import { loadFileTemplates } from "../apps/core/templates";
import { createWorker } from "../apps/worker/worker";
import { openDatabase } from "../db/client";

/**
 * One more worker process for the bench (spawned by bench/stack.ts): the same worker `npm start`
 * runs, on the bench's database, server and task queue. Its activities run on its own main thread,
 * which is what a second process buys on a second core. Prints "ready" once it polls; SIGTERM drains it.
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
const worker = await createWorker({
  connection: native,
  namespace: "default",
  taskQueue: options.taskQueue,
  db: database.db,
  client: new Client({ connection }),
  outboxDir: options.outbox,
  fileTemplates: await loadFileTemplates(),
  publicUrl: "http://localhost:3000",
  workflowBundle: { codePath: options.workflowBundle },
  maxCachedWorkflows: options.maxCachedWorkflows,
});
process.once("SIGTERM", () => worker.shutdown());
const running = worker.run();
process.stdout.write("ready\n");
await running;
await native.close();
await connection.close();
await database.close();
process.exit(0);
