import autocannon from "autocannon";
import { type Ctx, type Figure, round, seedAccounts } from "./shared";

/** API latency: GET /v1/accounts/{id} at a steady rate. */
export async function apiLatency({ stack, mode, log }: Ctx): Promise<Figure[]> {
  await seedAccounts(stack, "api-", 1000);
  const rate = 200;
  const duration = mode === "quick" ? 5 : 20;
  log(`api: GET /v1/accounts/{id} at ${rate} req/s for ${duration} s (autocannon)`);
  const result = await autocannon({
    url: stack.apiUrl,
    connections: 10,
    overallRate: rate,
    duration,
    headers: { authorization: `Bearer ${stack.apiKey}` },
    requests: [
      {
        method: "GET",
        setupRequest: (req) => ({ ...req, path: `/v1/accounts/api-${1 + Math.floor(Math.random() * 1000)}` }),
      },
    ],
  });
  if (result.non2xx > 0) throw new Error(`${result.non2xx} non-2xx answers`);
  return [
    {
      scenario: "api",
      name: "GET /v1/accounts/{id} p50",
      value: result.latency.p50,
      unit: "ms",
      limit: 20,
      ratio: round(20 / Math.max(1, result.latency.p50), 2),
      note: `${rate} req/s`,
    },
    {
      scenario: "api",
      name: "GET /v1/accounts/{id} p99",
      value: result.latency.p99,
      unit: "ms",
      limit: 50,
      ratio: round(50 / Math.max(1, result.latency.p99), 2),
    },
  ];
}
