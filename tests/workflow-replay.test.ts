import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { temporal } from "@temporalio/proto";
import { Worker } from "@temporalio/worker";
import { describe, expect, inject, it } from "vitest";

// Determinism guard (docs/decisions/0043-workflow-compatibility.md): the workflow code of this commit
// must replay every history committed by this release and the releases before it, exactly.
// Histories are recorded by tests/journey-time-skipping.test.ts and tests/runtime-time-skipping.test.ts
// (recordHistory), tests/bulk-operations.test.ts (batchProgress), tests/contacts-after-account.test.ts
// and tests/send-takeover.test.ts when their file is missing. A history is never re-recorded or
// deleted while a run of its release may be open: manifest.json holds each one's release and checksum.
const dir = new URL("./histories/", import.meta.url).pathname;
const MANIFEST = "manifest.json";

type Manifest = Record<string, { release: string; sha256: string; note?: string }>;

describe("workflow replay", () => {
  it("keeps every committed history as it was recorded, each listed with its release", async () => {
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST), "utf8")) as Manifest;
    const files = await historyFiles();
    const found: Record<string, string> = {};
    for (const file of files) found[file] = sha256(await readFile(join(dir, file)));
    // Listed and unchanged (never overwritten, never deleted); a new file needs its line, printed here.
    expect(found).toEqual(Object.fromEntries(Object.entries(manifest).map(([f, m]) => [f, m.sha256])));
    expect(Object.keys(manifest)).toEqual(
      expect.arrayContaining([
        "adoption-feature-breadth.json",
        "bulk-operation.json",
        "continue-as-new.json",
        "continued-run.json",
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
  });

  it("replays the committed journey histories without a determinism error", async () => {
    const files = await historyFiles();
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

async function historyFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith(".json") && f !== MANIFEST).sort();
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
