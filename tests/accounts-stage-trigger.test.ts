import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changeStage } from "../apps/core/accounts/change-stage";
import type { Enrollment } from "../apps/core/enrollments/schemas";
import { startTestStack, type TestStack, type TestWorkspace } from "./harness";

// PUT /v1/accounts/{id} (the upsert a CRM sync uses) starts stage_entered journeys exactly as PATCH does.
let stack: TestStack;
let ws: TestWorkspace;

beforeAll(async () => {
  stack = await startTestStack();
  ws = await stack.newWorkspace();
});
afterAll(() => stack?.close());

/** A journey entered with a stage that holds the account for a month, so its run stays active. */
async function publishOnStage(key: string, stage: string) {
  const draft = await ws.request("PUT", `/v1/journeys/${key}`, {
    name: `On ${stage}`,
    trigger: { type: "stage_entered", stage },
    steps: [{ id: "hold", type: "wait", duration: "P30D" }],
  });
  expect(draft.status, await draft.clone().text()).toBe(201);
  const published = await ws.request("POST", `/v1/journeys/${key}/publish`);
  expect(published.status, await published.clone().text()).toBe(201);
}

async function put(externalId: string, fields: Record<string, unknown>) {
  const res = await ws.request("PUT", `/v1/accounts/${externalId}`, { name: `${externalId} KK`, ...fields });
  expect(res.status).toBeLessThan(300);
  return res.status;
}

async function enrollmentsOf(journey: string, account: string): Promise<Enrollment[]> {
  const res = await ws.request("GET", `/v1/enrollments?journey=${journey}&account=${account}`);
  return ((await res.json()) as { data: Enrollment[] }).data;
}

describe("PUT /v1/accounts/{externalId} and stage_entered journeys", () => {
  it("enrolls an account created with a lifecycle stage in that stage's journeys", async () => {
    await publishOnStage("put-onboarding", "onboarding");
    expect(await put("created", { lifecycleStage: "onboarding" })).toBe(201);
    expect(await enrollmentsOf("put-onboarding", "created")).toEqual([
      expect.objectContaining({ account: "created", trigger: "stage_entered:onboarding", status: "active" }),
    ]);
  });

  it("enrolls a replaced account when its stage changed, and not when it stayed the same", async () => {
    expect(await put("moving", { lifecycleStage: "onboarding" })).toBe(201);
    await publishOnStage("put-adoption", "adoption");
    expect(await put("moving", { lifecycleStage: "adoption", tier: "low_touch" })).toBe(200);
    expect((await enrollmentsOf("put-adoption", "moving")).map((e) => e.trigger)).toEqual([
      "stage_entered:adoption",
    ]);

    // Published after the account entered adoption: a PUT that keeps the stage does not enter it again.
    await publishOnStage("put-adoption-later", "adoption");
    expect(await put("moving", { lifecycleStage: "adoption", tier: "high_touch" })).toBe(200);
    expect(await enrollmentsOf("put-adoption-later", "moving")).toEqual([]);
  });
});

describe("changeStage, the one stage change", () => {
  it("moves an account once under its row lock, stamping updatedAt, and says whether it entered the stage", async () => {
    const { db } = stack.database;
    await put("stepper", { lifecycleStage: "onboarding" });
    const at = new Date("2030-01-02T03:04:05.000Z");
    const first = await changeStage(
      { db },
      { workspaceId: ws.workspaceId, externalId: "stepper", stage: "adoption", at },
    );
    expect(first).toMatchObject({
      from: "onboarding",
      entered: true,
      account: { lifecycleStage: "adoption" },
    });
    expect(first?.account.updatedAt.toISOString()).toBe(at.toISOString());

    // By id, as the set_stage step calls it: the stage it is already in is no change, and no write.
    const again = await changeStage(
      { db },
      { workspaceId: ws.workspaceId, accountId: first?.account.id ?? "", stage: "adoption", at: new Date() },
    );
    expect(again).toMatchObject({ from: "adoption", entered: false });
    expect(again?.account.updatedAt.toISOString()).toBe(at.toISOString());

    // Another workspace's account is not there.
    const other = await stack.newWorkspace();
    expect(
      await changeStage(
        { db },
        { workspaceId: other.workspaceId, externalId: "stepper", stage: "churned", at },
      ),
    ).toBeNull();
  });
});
