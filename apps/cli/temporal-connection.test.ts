import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { temporalConnectionOptions } from "./temporal-connection";

let dir: string;
const files = { cert: "", key: "", ca: "", notPem: "" };

const base = {
  TEMPORAL_TLS: false,
  TEMPORAL_API_KEY: undefined,
  TEMPORAL_TLS_CERT: undefined,
  TEMPORAL_TLS_KEY: undefined,
  TEMPORAL_TLS_CA: undefined,
  TEMPORAL_TLS_SERVER_NAME: undefined,
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "volante-tls-"));
  files.cert = join(dir, "client.pem");
  files.key = join(dir, "client.key");
  files.ca = join(dir, "ca.pem");
  files.notPem = join(dir, "client.der");
  // A real self-signed client certificate and key, as an operator's files would be.
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      files.key,
      "-out",
      files.cert,
      "-subj",
      "/CN=volante-worker",
      "-days",
      "1",
    ],
    { stdio: "ignore" },
  );
  await writeFile(files.ca, await readFile(files.cert));
  await writeFile(files.notPem, Buffer.from([0x30, 0x82, 0x01]));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("Temporal connection options", () => {
  it("connects in the clear by default, and over TLS with TEMPORAL_TLS or an API key", async () => {
    expect(await temporalConnectionOptions(base, "t:7233")).toEqual({ address: "t:7233", tls: false });
    expect(await temporalConnectionOptions({ ...base, TEMPORAL_API_KEY: "k" }, "t:7233")).toEqual({
      address: "t:7233",
      tls: true,
      apiKey: "k",
    });
  });

  it("loads the mTLS client certificate, key and CA from their files, with the server's name", async () => {
    const options = await temporalConnectionOptions(
      {
        ...base,
        TEMPORAL_TLS_CERT: files.cert,
        TEMPORAL_TLS_KEY: files.key,
        TEMPORAL_TLS_CA: files.ca,
        TEMPORAL_TLS_SERVER_NAME: "temporal.internal",
      },
      "10.0.0.5:7233",
    );
    expect(options.tls).toEqual({
      clientCertPair: { crt: await readFile(files.cert), key: await readFile(files.key) },
      serverRootCACertificate: await readFile(files.ca),
      serverNameOverride: "temporal.internal",
    });
  });

  it("names the variable of a file it cannot read or that is not PEM, and a certificate without its key", async () => {
    const missing = join(dir, "nope.pem");
    await expect(
      temporalConnectionOptions({ ...base, TEMPORAL_TLS_CERT: files.cert, TEMPORAL_TLS_KEY: missing }, "t:1"),
    ).rejects.toThrow(`TEMPORAL_TLS_KEY: cannot read ${missing} (ENOENT)`);
    await expect(
      temporalConnectionOptions({ ...base, TEMPORAL_TLS_CA: files.notPem }, "t:1"),
    ).rejects.toThrow("TEMPORAL_TLS_CA: ");
    await expect(
      temporalConnectionOptions({ ...base, TEMPORAL_TLS_CERT: files.cert }, "t:1"),
    ).rejects.toThrow("TEMPORAL_TLS_KEY is not set");
  });
});
