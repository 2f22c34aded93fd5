import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import type { RateLimit, RateLimits } from "./api/rate-limits";
import { parseCidrs } from "./core/shared/outbound";
import { LOG_FORMATS, LOG_LEVELS } from "./logger";

const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

/** A positive integer, or unset (empty counts as unset). */
const positiveInt = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
  z.coerce.number().int().min(1).optional(),
);

const urlWithProtocol = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      `must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`,
    );

/** Comma-separated CIDRs (or single addresses), e.g. `10.1.2.0/24,fd00::/8`. */
const cidrList = z
  .string()
  .default("")
  .transform((v) =>
    v
      .split(",")
      .map((c) => c.trim())
      .filter(Boolean),
  )
  .refine(
    (cidrs) =>
      cidrs.every((c) => {
        try {
          parseCidrs([c]);
          return true;
        } catch {
          return false;
        }
      }),
    "must be comma-separated CIDRs, e.g. 10.1.2.0/24,fd00::/8",
  );

const windows = { s: 1_000, min: 60_000, h: 3_600_000 } as const;

/** A request budget: `<count>/<s|min|h>` (e.g. `600/min`: a burst of 600, refilled over a minute), or `off` (or `0`). */
const rateLimit = z.preprocess(
  (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
  z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^(off|0|[1-9]\d{0,8}\/(s|min|h))$/, "must be <count>/<s|min|h> (e.g. 600/min), or off")
    .transform((v): RateLimit => {
      if (v === "off" || v === "0") return "off";
      const [count, unit] = v.split("/") as [string, keyof typeof windows];
      return { limit: Number(count), windowMs: windows[unit] };
    })
    .optional(),
);

/** Every environment variable Volante reads, parsed once. Nothing else reads process.env. */
export const EnvSchema = z.object({
  PORT: port.default(3000),
  VOLANTE_HOME: z.string().trim().min(1).default(".volante"),
  DATABASE_URL: z.preprocess(
    (v) => (v === "" ? undefined : v),
    urlWithProtocol(["postgres:", "postgresql:"]).optional(),
  ),
  TEMPORAL_ADDRESS: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z
      .string()
      .trim()
      .regex(/^[\w.-]+:\d{1,5}$/, "must be host:port, e.g. localhost:7233")
      .optional(),
  ),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default("default"),
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: z
    .enum(["true", "false", "1", "0"])
    .default("false")
    .transform((v) => v === "true" || v === "1"),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default("volante"),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(250),
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_TEST_SERVER_PATH: optionalString,
  VOLANTE_API_KEY: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.string().trim().min(16, "must be at least 16 characters").optional(),
  ),
  VOLANTE_PUBLIC_URL: z.preprocess(
    (v) => (v === "" ? undefined : v),
    urlWithProtocol(["http:", "https:"]).optional(),
  ),
  SMTP_URL: z.preprocess((v) => (v === "" ? undefined : v), urlWithProtocol(["smtp:", "smtps:"]).optional()),
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  /** `json` or `pretty`; unset, pretty at a terminal and JSON lines otherwise (see apps/logger.ts). */
  LOG_FORMAT: z.preprocess((v) => (v === "" ? undefined : v), z.enum(LOG_FORMATS).optional()),
  /** Internal addresses webhooks may reach anyway: comma-separated CIDRs (or single addresses). */
  VOLANTE_OUTBOUND_ALLOW: cidrList,
  /** Request budgets (apps/api/rate-limits.ts has the defaults): per API key, per client address, failed authentications per address. */
  VOLANTE_RATE_LIMIT_KEY: rateLimit,
  VOLANTE_RATE_LIMIT_ADDRESS: rateLimit,
  VOLANTE_RATE_LIMIT_AUTH_FAILURES: rateLimit,
  /** Proxies whose X-Forwarded-For names the client (comma-separated CIDRs); unset, the socket's peer is the client. */
  VOLANTE_TRUST_PROXY: cidrList,
  VOLANTE_CACHE_DIR: optionalString,
  XDG_CACHE_HOME: optionalString,
  PATH: z.string().default(""),
  HOME: optionalString,
  // Production topology (issue 19, task "topology"): worker tuning, the worker's probe port, Temporal mTLS.
  /** Per worker process; unset, the Temporal SDK's defaults. */
  TEMPORAL_MAX_CONCURRENT_ACTIVITIES: positiveInt,
  TEMPORAL_MAX_CONCURRENT_LOCAL_ACTIVITIES: positiveInt,
  TEMPORAL_MAX_CONCURRENT_WORKFLOW_TASKS: positiveInt,
  /** mTLS client certificate and key (PEM files, both or neither), the server's CA, and its name when the address differs. */
  TEMPORAL_TLS_CERT: optionalString,
  TEMPORAL_TLS_KEY: optionalString,
  TEMPORAL_TLS_CA: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  /** `volante worker`'s /healthz and /metrics for a process manager: loopback unless told otherwise. */
  VOLANTE_WORKER_PORT: port.default(3001),
  VOLANTE_WORKER_HOST: z.string().trim().min(1).default("127.0.0.1"),
  // Throughput (issue 19, branch throughput): the SMTP pool, sized to what the relay accepts
  // (apps/core/delivery/mailer.ts); each connection carries at most SMTP_MAX_MESSAGES before it is renewed.
  SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5),
  SMTP_MAX_MESSAGES: z.coerce.number().int().min(1).default(100),
  // Behind a load balancer (issue 19): an idle keep-alive connection stays open longer than the
  // balancer's own idle timeout (60 s for most), so the balancer never sends on a socket the API is
  // closing, which it would answer with a 502.
  VOLANTE_HTTP_KEEP_ALIVE_SECONDS: z.coerce.number().int().min(1).max(3600).default(65),
});

export type Env = z.infer<typeof EnvSchema> & {
  /** Absolute state directory. */
  home: string;
  /** Where downloaded Temporal binaries are kept across projects. */
  cacheDir: string;
  /** The `VOLANTE_RATE_LIMIT_*` that are set (the API keeps its default for the others). */
  rateLimits: Partial<RateLimits>;
};

export type EnvResult = { ok: true; env: Env } | { ok: false; message: string };

/** Parses the given variables; every bad one is named in a single message. */
export function parseEnv(source: Record<string, string | undefined>): EnvResult {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      const value = source[name];
      const shown = value === undefined ? "" : ` (got ${JSON.stringify(value)})`;
      return `  ${name}: ${issue.message}${shown}`;
    });
    return { ok: false, message: `Invalid environment configuration:\n${lines.join("\n")}` };
  }
  const data = parsed.data;
  const userHome = data.HOME ?? homedir();
  const cacheDir = data.VOLANTE_CACHE_DIR ?? join(data.XDG_CACHE_HOME ?? join(userHome, ".cache"), "volante");
  const rateLimits = {
    key: data.VOLANTE_RATE_LIMIT_KEY,
    address: data.VOLANTE_RATE_LIMIT_ADDRESS,
    authFailures: data.VOLANTE_RATE_LIMIT_AUTH_FAILURES,
  };
  return {
    ok: true,
    env: { ...data, home: resolve(data.VOLANTE_HOME), cacheDir: resolve(cacheDir), rateLimits },
  };
}

/** Parses process.env or exits with code 1 and a readable message. */
export function loadEnv(): Env {
  const result = parseEnv(process.env);
  if (!result.ok) {
    process.stderr.write(`${result.message}\n`);
    process.exit(1);
  }
  return result.env;
}
