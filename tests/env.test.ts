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
});
