import { describe, expect, it } from "vitest";
import { parseEnv } from "../apps/env";

describe("environment", () => {
  it("uses the embedded defaults when nothing is set", () => {
    const result = parseEnv({ HOME: "/home/cs" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.env).toMatchObject({
      PORT: 3000,
      TEMPORAL_NAMESPACE: "default",
      LOG_LEVEL: "info",
      cacheDir: "/home/cs/.cache/volante",
    });
    expect([result.env.DATABASE_URL, result.env.TEMPORAL_ADDRESS, result.env.SMTP_URL]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(result.env.home).toMatch(/\/\.volante$/);
  });

  it("treats empty variables as unset", () => {
    const result = parseEnv({ DATABASE_URL: "", TEMPORAL_ADDRESS: "", VOLANTE_API_KEY: "" });
    expect(
      result.ok && result.env.DATABASE_URL === undefined && result.env.VOLANTE_API_KEY === undefined,
    ).toBe(true);
  });

  it("names every bad variable in one message", () => {
    const result = parseEnv({
      PORT: "eighty",
      DATABASE_URL: "mysql://localhost/db",
      TEMPORAL_ADDRESS: "localhost",
      SMTP_URL: "mail.example.com",
      LOG_LEVEL: "loud",
      VOLANTE_API_KEY: "short",
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    for (const name of [
      "PORT",
      "DATABASE_URL",
      "TEMPORAL_ADDRESS",
      "SMTP_URL",
      "LOG_LEVEL",
      "VOLANTE_API_KEY",
    ]) {
      expect(result.message).toContain(`  ${name}:`);
    }
    expect(result.message).toContain('(got "eighty")');
  });

  it("takes LOG_FORMAT json or pretty, leaves it unset (decided by the terminal) when empty, and names any other value", () => {
    const pick = (v: string) => {
      const r = parseEnv({ LOG_FORMAT: v });
      return r.ok ? r.env.LOG_FORMAT : r.message;
    };
    expect(pick("json")).toBe("json");
    expect(pick("pretty")).toBe("pretty");
    expect(pick("")).toBeUndefined();
    expect(pick("xml")).toContain("  LOG_FORMAT:");
  });

  it("reads the worker's slots, its probe address and Temporal's certificate paths, and names a bad slot count", () => {
    const result = parseEnv({
      TEMPORAL_MAX_CONCURRENT_ACTIVITIES: "40",
      TEMPORAL_MAX_CONCURRENT_WORKFLOW_TASKS: "",
      TEMPORAL_TLS_CERT: "/etc/volante/client.pem",
      VOLANTE_WORKER_PORT: "9100",
    });
    expect(result.ok && result.env).toMatchObject({
      TEMPORAL_MAX_CONCURRENT_ACTIVITIES: 40,
      TEMPORAL_MAX_CONCURRENT_WORKFLOW_TASKS: undefined,
      TEMPORAL_TLS_CERT: "/etc/volante/client.pem",
      VOLANTE_WORKER_PORT: 9100,
      VOLANTE_WORKER_HOST: "127.0.0.1",
    });
    const bad = parseEnv({ TEMPORAL_MAX_CONCURRENT_LOCAL_ACTIVITIES: "0" });
    expect(bad.ok ? "" : bad.message).toContain("TEMPORAL_MAX_CONCURRENT_LOCAL_ACTIVITIES:");
  });
});
