import { readFile } from "node:fs/promises";
import type { TLSConfig } from "@temporalio/client";
import type { Env } from "../env";

/** How the client and the worker reach Temporal: both take the same options. */
export type TemporalConnectionOptions = {
  address: string;
  tls: TLSConfig | boolean;
  apiKey?: string;
};

type TlsEnv = Pick<
  Env,
  | "TEMPORAL_TLS"
  | "TEMPORAL_API_KEY"
  | "TEMPORAL_TLS_CERT"
  | "TEMPORAL_TLS_KEY"
  | "TEMPORAL_TLS_CA"
  | "TEMPORAL_TLS_SERVER_NAME"
>;

/**
 * The connection options from the environment: plain, TLS (`TEMPORAL_TLS`, implied by an API key or
 * any certificate), mTLS with the PEM files named by `TEMPORAL_TLS_CERT` / `TEMPORAL_TLS_KEY`, a
 * private CA (`TEMPORAL_TLS_CA`) and the server's name when it differs from the address. A file that
 * cannot be read stops the start with the variable that names it.
 */
export async function temporalConnectionOptions(
  env: TlsEnv,
  address: string,
): Promise<TemporalConnectionOptions> {
  const apiKey = env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {};
  const custom =
    env.TEMPORAL_TLS_CERT || env.TEMPORAL_TLS_KEY || env.TEMPORAL_TLS_CA || env.TEMPORAL_TLS_SERVER_NAME;
  if (!custom) return { address, tls: env.TEMPORAL_TLS || Boolean(env.TEMPORAL_API_KEY), ...apiKey };
  if (Boolean(env.TEMPORAL_TLS_CERT) !== Boolean(env.TEMPORAL_TLS_KEY)) {
    const missing = env.TEMPORAL_TLS_CERT ? "TEMPORAL_TLS_KEY" : "TEMPORAL_TLS_CERT";
    throw new Error(
      `${missing} is not set: an mTLS client needs both its certificate (TEMPORAL_TLS_CERT) and its key (TEMPORAL_TLS_KEY).`,
    );
  }
  const [crt, key, ca] = await Promise.all([
    pemFile("TEMPORAL_TLS_CERT", env.TEMPORAL_TLS_CERT),
    pemFile("TEMPORAL_TLS_KEY", env.TEMPORAL_TLS_KEY),
    pemFile("TEMPORAL_TLS_CA", env.TEMPORAL_TLS_CA),
  ]);
  const tls: TLSConfig = {
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(env.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
  return { address, tls, ...apiKey };
}

async function pemFile(variable: string, path: string | undefined): Promise<Buffer | undefined> {
  if (!path) return undefined;
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (err) {
    throw new Error(
      `${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  // A path to the wrong file fails here, not as an opaque handshake error on the first call.
  if (!content.toString("utf8").includes("-----BEGIN ")) {
    throw new Error(`${variable}: ${path} is not a PEM file (no "-----BEGIN" line)`);
  }
  return content;
}
