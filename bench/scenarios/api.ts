import { openLoopInThread } from "../open-loop";
import { type Ctx, type Figure, round, seedAccounts } from "./shared";

/** Issue 19: `GET /v1/accounts/{id}` answers within 20 ms at the 99th percentile at 500 requests/s. */
const RATE = 500;
const P99_GOAL_MS = 20;

/**
 * API latency: GET /v1/accounts/{id} at a constant 500 requests/s (an open loop, `bench/open-loop.ts`).
 * On PostgreSQL against `volante api` in a process of its own, as production runs it (decision 0042);
 * on PGlite (one writer) against the bench's in-process API, which shares its event loop with the
 * worker.
 */
export async function apiLatency({ stack, mode, log }: Ctx): Promise<Figure[]> {
  await seedAccounts(stack, "api-", 1000);
  const duration = mode === "quick" ? 5 : 20;
  const api = stack.raw ? await stack.apiProcess() : undefined;
  const where = api ? "volante api in its own process" : "the bench's in-process API";
  log(`api: GET /v1/accounts/{id} at ${RATE} req/s for ${duration} s (open loop), ${where}`);
  // Every account in turn, shuffled once.
  const paths = shuffled(1000).map((i) => `/v1/accounts/api-${i}`);
  const fire = (seconds: number) =>
    openLoopInThread({
      url: api?.url ?? stack.apiUrl,
      rate: RATE,
      seconds,
      // Enough sockets that a slow answer does not hold back the next requests: at 20 ms each, 25
      // connections still carry 1,250 req/s.
      connections: 25,
      headers: { authorization: `Bearer ${stack.apiKey}` },
      paths,
    });
  // Warm-up, not measured: connections opened, statements prepared, code compiled by the JIT.
  await fire(3);
  const cpuBefore = process.cpuUsage();
  const result = await fire(duration);
  await api?.stop();
  const cpu = process.cpuUsage(cpuBefore);
  if (!api)
    log(
      `api: ${round((cpu.user + cpu.system) / 1000 / result.answered, 2)} ms of this process's CPU a request`,
    );
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(
      `${result.non2xx} non-2xx answers, ${result.errors} failed requests (${result.firstError ?? "no error"})`,
    );
  const achieved = round(result.answered / duration, 0);
  return [
    {
      scenario: "api",
      name: "GET /v1/accounts/{id} p50",
      value: round(result.p50, 1),
      unit: "ms",
      limit: P99_GOAL_MS,
      ratio: round(P99_GOAL_MS / Math.max(1, result.p50), 2),
      note: `${RATE} req/s asked, ${achieved} answered a second; ${where}`,
    },
    {
      scenario: "api",
      name: "GET /v1/accounts/{id} p99",
      value: round(result.p99, 1),
      unit: "ms",
      limit: P99_GOAL_MS,
      ratio: round(P99_GOAL_MS / Math.max(1, result.p99), 2),
      note: `slowest ${round(result.max, 0)} ms; each latency counted from when its request was due`,
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
