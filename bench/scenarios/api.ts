import autocannon from "autocannon";
import { type Ctx, type Figure, round, seedAccounts } from "./shared";

/** Issue 19: `GET /v1/accounts/{id}` answers within 20 ms at the 99th percentile at 500 requests/s. */
const RATE = 500;
const P99_GOAL_MS = 20;

/**
 * API latency: GET /v1/accounts/{id} at a steady rate. On PostgreSQL against `volante api` in a
 * process of its own, as production runs it (decision 0042); on PGlite (one writer) against the
 * bench's in-process API, which shares its event loop with the worker.
 */
export async function apiLatency({ stack, mode, log }: Ctx): Promise<Figure[]> {
  await seedAccounts(stack, "api-", 1000);
  const duration = mode === "quick" ? 5 : 20;
  const api = stack.raw ? await stack.apiProcess() : undefined;
  const where = api ? "volante api in its own process" : "the bench's in-process API";
  log(`api: GET /v1/accounts/{id} at ${RATE} req/s for ${duration} s (autocannon), ${where}`);
  const fire = (seconds: number) =>
    autocannon({
      url: api?.url ?? stack.apiUrl,
      // Enough connections that a slow answer does not hold back the next requests (which would hide
      // their wait from the percentiles): at 20 ms each, 25 connections still carry 1,250 req/s.
      connections: 25,
      // The client in a thread of its own: on the API's event loop it queued in front of the answers.
      workers: 1,
      overallRate: RATE,
      duration: seconds,
      headers: { authorization: `Bearer ${stack.apiKey}` },
      // Every account in turn, shuffled once (a worker thread takes data, not a setupRequest function).
      requests: shuffled(1000).map((i) => ({ method: "GET" as const, path: `/v1/accounts/api-${i}` })),
    });
  // Warm-up, not measured: connections opened, statements prepared, code compiled by the JIT.
  await fire(3);
  const cpuBefore = process.cpuUsage();
  const result = await fire(duration);
  await api?.stop();
  const cpu = process.cpuUsage(cpuBefore);
  if (!api)
    log(
      `api: ${round((cpu.user + cpu.system) / 1000 / result.requests.total, 2)} ms of this process's CPU a request`,
    );
  if (result.non2xx > 0) throw new Error(`${result.non2xx} non-2xx answers`);
  const achieved = round(result.requests.total / duration, 0);
  return [
    {
      scenario: "api",
      name: "GET /v1/accounts/{id} p50",
      value: result.latency.p50,
      unit: "ms",
      limit: P99_GOAL_MS,
      ratio: round(P99_GOAL_MS / Math.max(1, result.latency.p50), 2),
      note: `${RATE} req/s asked, ${achieved} answered a second; ${where}`,
    },
    {
      scenario: "api",
      name: "GET /v1/accounts/{id} p99",
      value: result.latency.p99,
      unit: "ms",
      limit: P99_GOAL_MS,
      ratio: round(P99_GOAL_MS / Math.max(1, result.latency.p99), 2),
    },
  ];
}

/** 1…n in a random order. */
function shuffled(n: number): number[] {
  const list = Array.from({ length: n }, (_, i) => i + 1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j] as number, list[i] as number];
  }
  return list;
}
