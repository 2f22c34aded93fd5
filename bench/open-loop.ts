import { Agent, request } from "node:http";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

export type OpenLoopResult = {
  sent: number;
  answered: number;
  non2xx: number;
  errors: number;
  /** The first failed request's error, if any. */
  firstError?: string;
  p50: number;
  p99: number;
  max: number;
};

/**
 * Requests at a constant rate, one every 1/rate seconds, whatever the answers do (an open loop, as
 * wrk2 and k6's constant-arrival-rate run). Each latency runs from the moment the request was due,
 * not the moment it left, so a stall of the server or of this client counts in full for every
 * request it held back (no coordinated omission).
 *
 * autocannon's `overallRate` is not this: each connection fires its share of the second back to
 * back when the second starts and then waits, so 500 req/s over 25 connections is a burst of 500
 * every second, and its correction then adds a synthetic sample for every millisecond of each wait
 * (decision 0045).
 */
export async function openLoop(options: {
  url: string;
  rate: number;
  seconds: number;
  headers: Record<string, string>;
  paths: string[];
  /** Most sockets open at once; a request due when all are busy waits in the agent's queue. */
  connections: number;
}): Promise<OpenLoopResult> {
  // The most recently used socket first (Node's lifo), as a balancer's pool reuses its warm connections.
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let firstError: string | undefined;
  let sent = 0;
  const pending = new Set<Promise<void>>();
  const fire = (due: number, path: string) => {
    const done = new Promise<void>((resolve) => {
      const req = request(`${options.url}${path}`, { agent, headers: options.headers }, (res) => {
        res.resume();
        res.on("end", () => {
          if ((res.statusCode ?? 0) >= 300) non2xx++;
          latencies.push(performance.now() - due);
          resolve();
        });
      });
      req.on("error", (err) => {
        errors++;
        firstError ??= String(err);
        resolve();
      });
      req.end();
    });
    pending.add(done);
    void done.then(() => pending.delete(done));
  };
  const start = performance.now();
  // Bounded: ends once every one of the `total` requests has been sent.
  while (sent < total) {
    const now = performance.now();
    while (sent < total && start + sent * interval <= now) {
      fire(start + sent * interval, options.paths[sent % options.paths.length] as string);
      sent++;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    sent,
    answered: latencies.length,
    non2xx,
    errors,
    firstError,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies[latencies.length - 1] ?? 0,
  };
}

/**
 * {@link openLoop} in a worker thread of its own, so that nothing else on the bench's event loop (its
 * in-process worker and API) delays a request past its due time.
 */
export async function openLoopInThread(options: Parameters<typeof openLoop>[0]): Promise<OpenLoopResult> {
  // A thread does not inherit tsx's loader (Node 20): it registers it, then loads this file.
  const boot = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const thread = new Worker(boot, { eval: true, workerData: options });
  return new Promise((resolve, reject) => {
    thread.once("message", resolve);
    thread.once("error", reject);
    thread.once("exit", (code) => reject(new Error(`the open-loop thread exited (${code})`)));
  });
}

if (!isMainThread && parentPort && workerData?.rate) {
  const port = parentPort;
  void openLoop(workerData as Parameters<typeof openLoop>[0]).then((result) => port.postMessage(result));
}
