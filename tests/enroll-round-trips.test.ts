import type { Client } from "@temporalio/client";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertAccount } from "../apps/core/accounts/save-account";
import { enrollByKeys } from "../apps/core/enrollments/enroll-by-keys";
import type { RuntimeDeps } from "../apps/core/enrollments/runtime";
import { publishJourney, saveDraft } from "../apps/core/journeys/journeys";
import { systemClock } from "../apps/core/shared/services";
import { loadFileTemplates } from "../apps/core/templates/files";
import { fileTemplateCatalog } from "../apps/core/templates/message-templates";
import { createWorkspace } from "../apps/core/workspace/api-keys";
import type { Database } from "../db/client";
import { enrollmentListeners } from "../db/schema";
import { type Counter, openCountingDatabase } from "./round-trips";

/**
 * What a manual enrollment (POST /v1/enrollments, after its API key is looked up) costs the database:
 * one read (journey, latest version, account and its past enrollments) and one write (the row and its
 * listeners), then one workflow start. Issue 19 asks for 100 enrollment starts a second.
 */
const BOUND = 2;

const counter: Counter = { trips: 0 };
const started: { workflowId: string; enrollmentId: string }[] = [];
let database: Database;
let deps: RuntimeDeps;
let workspaceId: string;

beforeAll(async () => {
  database = await openCountingDatabase(counter);
  const { db } = database;
  // Temporal is not what is counted here: a client that records the starts asked of it.
  const client = {
    workflow: {
      start: async (_type: string, options: { workflowId: string; memo: { enrollmentId: string } }) => {
        started.push({ workflowId: options.workflowId, enrollmentId: options.memo.enrollmentId });
      },
    },
  } as unknown as Client;
  deps = { db, client, taskQueue: "unused", clock: systemClock };
  ({ workspaceId } = await createWorkspace(db, "Enrollment round trips"));
  const catalog = fileTemplateCatalog(await loadFileTemplates());
  const definition = {
    name: "One touch",
    trigger: { type: "manual" },
    exitWhen: [{ event: "onboarding_completed" }],
    steps: [{ id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" }],
  };
  const saved = await saveDraft(db, workspaceId, "one-touch", definition, catalog, new Date());
  if (!saved.ok) throw new Error(JSON.stringify(saved.problems));
  const published = await publishJourney(db, workspaceId, "one-touch", catalog, new Date());
  if (!published.ok) throw new Error(JSON.stringify(published.problems));
  for (const externalId of ["warm-up", "measured"]) {
    await upsertAccount(
      db,
      workspaceId,
      externalId,
      { name: externalId, tier: "tech_touch", lifecycleStage: "onboarding", licenses: 10, attributes: {} },
      new Date(),
    );
  }
});

afterAll(async () => {
  await database?.close();
});

describe("the cost of a manual enrollment", () => {
  it(`enrolls in ${BOUND} database round trips and one workflow start, and refuses a duplicate in one read`, async () => {
    // The first enrollment warms the connection (types, prepared statements), as an API's are.
    const warm = await enrollByKeys(deps, { workspaceId, journey: "one-touch", account: "warm-up" });
    expect(warm.ok).toBe(true);

    counter.trips = 0;
    started.length = 0;
    const result = await enrollByKeys(deps, { workspaceId, journey: "one-touch", account: "measured" });
    const trips = counter.trips;
    if (!result.ok) throw new Error(JSON.stringify(result));
    expect(result.enrollment).toMatchObject({ journey: "one-touch", account: "measured", entry: 1 });
    expect(started).toEqual([
      { workflowId: result.enrollment.workflowId, enrollmentId: result.enrollment.id },
    ]);
    const listeners = await database.db
      .select({ eventName: enrollmentListeners.eventName })
      .from(enrollmentListeners)
      .where(eq(enrollmentListeners.enrollmentId, result.enrollment.id));
    expect(listeners.map((l) => l.eventName)).toContain("onboarding_completed");
    console.info(`one manual enrollment: ${trips} round trips (${database.driver})`);
    expect(trips).toBeLessThanOrEqual(BOUND);

    counter.trips = 0;
    started.length = 0;
    const again = await enrollByKeys(deps, { workspaceId, journey: "one-touch", account: "measured" });
    expect(again).toMatchObject({ ok: false, refusal: "conflict", code: "duplicate" });
    expect(started).toEqual([]);
    expect(counter.trips).toBe(1);
  });
});
