import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import type { Env } from "../env";
import { firstKeyFile } from "./first-key";

/** The public API a command talks to, as a workspace's API key (never the admin endpoint). */
export type ApiClient = {
  url: string;
  request<T>(
    method: "GET" | "PUT" | "POST",
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
};

export type ApiOptions = { url?: string; apiKey?: string };

/** `--url` and `--api-key`, as every command that talks to a running Volante takes them. */
export function apiOptions(command: Command): Command {
  return command
    .option("--url <url>", "the Volante API (default: http://localhost:$PORT)")
    .option(
      "--api-key <key>",
      `a workspace API key (default: VOLANTE_API_KEY, else <VOLANTE_HOME>/first-api-key)`,
    );
}

/** The API at `--url` with the key from `--api-key`, VOLANTE_API_KEY or the first start's key file. */
export async function apiClient(env: Env, options: ApiOptions): Promise<ApiClient> {
  const url = (options.url ?? `http://localhost:${env.PORT}`).replace(/\/+$/, "");
  const apiKey =
    options.apiKey ??
    env.VOLANTE_API_KEY ??
    (await readFile(firstKeyFile(env.home), "utf8").catch(() => "")).trim();
  if (!apiKey) {
    throw new Error(
      `no API key: pass --api-key, set VOLANTE_API_KEY, or run \`volante start\` once (it keeps its key in ${firstKeyFile(env.home)}); \`volante keys create\` makes another`,
    );
  }
  return {
    url,
    async request(method, path, body) {
      let res: Response;
      try {
        res = await fetch(`${url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${apiKey}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (err) {
        throw new Error(
          `cannot reach ${url} (${String((err as Error).cause ?? (err as Error).message)}): is Volante running (\`volante start\`), or is --url another address?`,
        );
      }
      if (res.status === 401) {
        throw new Error(`${url} refused the API key (401): it is unknown there or revoked`);
      }
      return { status: res.status, body: (await res.json().catch(() => ({}))) as never };
    },
  };
}

/** What an API problem says, one line per field problem. */
export type ProblemBody = {
  title?: string;
  detail?: string;
  errors?: { pointer: string; message: string }[];
};

export function problemLines(problem: ProblemBody, prefix = ""): string[] {
  const head = problem.detail ?? problem.title ?? "refused";
  return [
    head,
    ...(problem.errors ?? []).map((e) => {
      const pointer = prefix && e.pointer.startsWith(prefix) ? e.pointer.slice(prefix.length) : e.pointer;
      return `  ${pointer || "(document)"}: ${e.message}`;
    }),
  ];
}
