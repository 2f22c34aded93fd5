import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { temporal } from "@temporalio/proto";
import { Worker } from "@temporalio/worker";
import { describe, expect, inject, it } from "vitest";

// Determinism guard: the workflow code of this commit must replay every committed history exactly.
// Histories are recorded by tests/journey-time-skipping.test.ts and tests/runtime-time-skipping.test.ts
// (recordHistory) and tests/bulk-operations.test.ts (batchProgress) when their file is missing; delete
// one and run its test to re-record it after an intentional, patched() change.
const dir = new URL("./histories/", import.meta.url).pathname;

describe("workflow replay", () => {
  it("replays the committed journey histories without a determinism error", async () => {
    const files = (await readdir(dir)).filter((f) => f.endsWith(".json")).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        "adoption-feature-breadth.json",
        // A bulk operation of five batches.
        "bulk-operation.json",
        // A run that continues as new, and the run it continues into with the carried state.
        "continue-as-new.json",
        "continued-run.json",
        // The SLA's checks as task-queue activities (before the patch) and as local activities.
        "escalation-sla.json",
        "escalation-sla-local.json",
        "exit-signal.json",
        "held-resume.json",
        "onboarding-tech-touch.json",
        "renewal-prep.json",
        "run-failed.json",
        // Touches as heartbeated regular activities, behind the sends-as-activities patch (0043).
        "sends-as-activities.json",
        "step-types.json",
      ]),
    );
    const histories = await Promise.all(
      files.map(async (file) => ({
        workflowId: file.replace(/\.json$/, ""),
        history: temporal.api.history.v1.History.fromObject(
          JSON.parse(await readFile(join(dir, file), "utf8")),
        ),
      })),
    );
    const results = [];
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: { codePath: inject("workflowBundlePath") } },
      histories,
    )) {
      results.push({ workflowId: result.workflowId, error: result.error ? String(result.error) : undefined });
    }
    expect(results).toHaveLength(files.length);
    expect(results.filter((r) => r.error)).toEqual([]);
  });
});
