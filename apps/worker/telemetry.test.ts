import { ApplicationFailure } from "@temporalio/common";
import { describe, expect, it } from "vitest";
import { createLogger } from "../logger";
import { temporalLogger } from "./telemetry";

function capture() {
  const lines: string[] = [];
  const sdk = temporalLogger(createLogger("debug", (l) => lines.push(l)));
  return { sdk, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const activity = {
  sdkComponent: "worker",
  taskToken: "Q2lRd01XRXlOR1U1",
  activityType: "applyTransition",
  workflowId: "journey:w:k:a",
  workflowRunId: "run-1",
};

describe("the Temporal SDK's lines through Volante's logger", () => {
  it("logs an attempt Temporal retries as one warn line with the error's message and cause, no stack", () => {
    const { sdk, records } = capture();
    const error = new Error("webhook answered 503", { cause: new Error("upstream down") });
    sdk.warn("Activity failed", { ...activity, attempt: 2, maxAttempts: 5, error, durationMs: 12 });
    expect(records()).toEqual([
      expect.objectContaining({
        level: "warn",
        msg: "activity attempt failed; Temporal retries it",
        sdk: "worker",
        runId: "run-1",
        workflowId: "journey:w:k:a",
        attempt: 2,
        error: "webhook answered 503: caused by: upstream down",
      }),
    ]);
    expect(records()[0]).not.toHaveProperty("taskToken");
  });

  it("logs the last attempt, or a non-retryable failure, once at error with its stack", () => {
    const { sdk, records } = capture();
    sdk.warn("Activity failed", { ...activity, attempt: 5, maxAttempts: 5, error: new Error("gave up") });
    const permanent = ApplicationFailure.create({ message: "journey version missing", nonRetryable: true });
    sdk.warn("Activity failed", { ...activity, attempt: 1, maxAttempts: 0, error: permanent });
    const [last, nonRetryable] = records();
    expect(last).toMatchObject({ level: "error", msg: "activity failed; no attempt left" });
    expect(last).toMatchObject({ error: { stack: expect.stringContaining("gave up") } });
    expect(nonRetryable).toMatchObject({ level: "error", msg: "activity failed; no attempt left" });
  });

  it("maps the SDK's levels onto ours (TRACE to debug)", () => {
    const { sdk, records } = capture();
    sdk.trace("polling");
    sdk.info("Worker state changed", { sdkComponent: "worker", state: "RUNNING" });
    expect(records().map((r) => [r.level, r.msg])).toEqual([
      ["debug", "polling"],
      ["info", "Worker state changed"],
    ]);
  });
});
