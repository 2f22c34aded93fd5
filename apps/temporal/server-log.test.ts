import { describe, expect, it } from "vitest";
import { parseServerLine } from "./server-log";

describe("the dev server's output lines", () => {
  it("reads its JSON lines (--log-format json) as records with their level and fields", () => {
    const line =
      '{"time":"2026-12-07T03:27:20.312Z","level":"ERROR","msg":"unable to bind","component":"frontend","port":7233}';
    expect(parseServerLine(line)).toEqual({
      level: "error",
      msg: "unable to bind",
      fields: { component: "frontend", port: 7233 },
    });
  });

  it("strips colour codes from a plain text line", () => {
    expect(parseServerLine("\u001b[33mWARN\u001b[0m cluster id \u001b[1mnot\u001b[0m valid")).toEqual({
      level: "info",
      msg: "WARN cluster id not valid",
      fields: {},
    });
  });
});
