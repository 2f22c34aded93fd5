import { Client, Connection } from "@temporalio/client";
import { DefaultLogger, NativeConnection, Runtime } from "@temporalio/worker";
import { loadFileTemplates } from "../apps/core/templates";
import { createWorker } from "../apps/worker/worker";
import { openDatabase } from "../db/client";

/**
 * One more worker process for the bench (spawned by bench/stack.ts): the same worker `npm start`
 * runs, on the bench's database, server and task queue. Its activities run on its own main thread,
 * which is what a second process buys on a second core. Prints "ready" once it polls; SIGTERM drains it.
 */
const need = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`bench worker: ${name} is not set`);
  return value;
};
Runtime.install({ logger: new DefaultLogger("ERROR"), shutdownSignals: [] });
const database = await openDatabase({ url: need("DATABASE_URL"), max: 10 });
const address = need("TEMPORAL_ADDRESS");
const native = await NativeConnection.connect({ address });
const connection = await Connection.connect({ address });
const worker = await createWorker({
  connection: native,
  namespace: "default",
  taskQueue: need("BENCH_TASK_QUEUE"),
  db: database.db,
  client: new Client({ connection }),
  outboxDir: need("BENCH_OUTBOX"),
  fileTemplates: await loadFileTemplates(),
  publicUrl: "http://localhost:3000",
  workflowBundle: { codePath: need("BENCH_WORKFLOW_BUNDLE") },
  maxCachedWorkflows: Number(need("TEMPORAL_MAX_CACHED_WORKFLOWS")),
});
process.once("SIGTERM", () => worker.shutdown());
const running = worker.run();
process.stdout.write("ready\n");
await running;
await native.close();
await connection.close();
await database.close();
process.exit(0);
