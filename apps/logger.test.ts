import { describe, expect, it } from "vitest";
import { createLogger, defaultLogFormat } from "./logger";

describe("the logger", () => {
  it("writes one JSON object per line, with an error's stack and cause, and a child's bindings", () => {
    const lines: string[] = [];
    const log = createLogger("info", (l) => lines.push(l)).child({ workflowId: "journey:w:k:a" });
    log.debug("not at info");
    log.warn("could not send", { error: new Error("refused", { cause: new Error("ECONNREFUSED") }) });
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] ?? "");
    expect(record).toMatchObject({ level: "warn", msg: "could not send", workflowId: "journey:w:k:a" });
    expect(record.error.message).toContain("refused");
    expect(record.error.stack).toContain("caused by: Error: ECONNREFUSED");
  });

  it("writes pretty lines for a person only when asked, and chooses JSON for anything but a terminal", () => {
    const lines: string[] = [];
    createLogger("info", (l) => lines.push(l), "pretty").info("Volante is running", { port: 3000 });
    const text = lines.join("");
    expect(text).toContain("Volante is running");
    expect(() => JSON.parse(text)).toThrow();
    expect(defaultLogFormat(false)).toBe("json");
    expect(defaultLogFormat(true)).toBe("pretty");
  });
});
