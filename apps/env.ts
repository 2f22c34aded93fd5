import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { parseCidrs } from "./core/shared/outbound";

const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

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
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** Internal addresses webhooks may reach anyway: comma-separated CIDRs (or single addresses). */
  VOLANTE_OUTBOUND_ALLOW: z
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
    ),
  VOLANTE_CACHE_DIR: optionalString,
  XDG_CACHE_HOME: optionalString,
  PATH: z.string().default(""),
  HOME: optionalString,
});

export type Env = z.infer<typeof EnvSchema> & {
  /** Absolute state directory. */
  home: string;
  /** Where downloaded Temporal binaries are kept across projects. */
  cacheDir: string;
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
  return { ok: true, env: { ...data, home: resolve(data.VOLANTE_HOME), cacheDir: resolve(cacheDir) } };
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
