import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Enrollment } from "../../apps/core/enrollments/schemas";
import { eventually, startTestStack, type TestStack, type TestWorkspace, webhookReceiver } from "../harness";

type Trace = {
  enrollment: Enrollment;
  trace: { kind: string; stepId: string | null; detail: Record<string, unknown> }[];
};

let stack: TestStack;
let ws: TestWorkspace;

beforeAll(async () => {
  stack = await startTestStack();
  ws = await stack.newWorkspace();
});
afterAll(() => stack?.close());

/** Publishes a manual journey, enrolls a fresh account and waits for the run to finish. */
async function runJourney(key: string, steps: unknown[]): Promise<Trace> {
  await ws.request("PUT", `/v1/journeys/${key}`, { name: key, trigger: { type: "manual" }, steps });
  expect((await ws.request("POST", `/v1/journeys/${key}/publish`)).status).toBe(201);
  await ws.request("PUT", `/v1/accounts/${key}`, { name: `${key} KK`, tier: "tech_touch" });
  const res = await ws.request("POST", "/v1/enrollments", { journey: key, account: key });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as Enrollment;
  return eventually(async () => {
    const t = (await (await ws.request("GET", `/v1/enrollments/${id}/trace`)).json()) as Trace;
    return t.enrollment.status === "completed" ? t : undefined;
  }, "the run to complete");
}

describe("each webhook side effect once", () => {
  it("does not post a delivered webhook step again when a later effect of the transition retries", async () => {
    const first = await webhookReceiver([200]);
    const second = await webhookReceiver([503, 503, 200]);
    try {
      const { trace } = await runJourney("once", [
        { id: "first", type: "webhook", url: first.url, payload: { n: 1 } },
        { id: "second", type: "webhook", url: second.url, payload: { n: 2 } },
      ]);
      expect(second.received).toHaveLength(3);
      expect(first.received).toHaveLength(1);
      expect(trace.filter((t) => t.kind.startsWith("webhook_"))).toEqual([
        expect.objectContaining({ kind: "webhook_delivered", stepId: "first" }),
        expect.objectContaining({ kind: "webhook_delivered", stepId: "second" }),
      ]);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
