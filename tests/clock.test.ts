import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Account } from "../apps/core/accounts/accounts";
import type { Clock } from "../apps/core/shared/services";
import { startTestStack, type TestStack, type TestWorkspace } from "./harness";

// Core reads the time from the services' clock: a stack built with a fixed one writes that time.
let now = new Date("2031-01-02T03:04:05.000Z");
const clock: Clock = { now: () => now };

let stack: TestStack;
let ws: TestWorkspace;

beforeAll(async () => {
  stack = await startTestStack({ clock });
  ws = await stack.newWorkspace();
});
afterAll(() => stack?.close());

describe("the services' clock", () => {
  // Rows get their created_at / updated_at from the database's default on insert; every later write
  // stamps the clock's time.
  it("stamps an account update, a journey draft saved again and its archiving with the clock's time", async () => {
    await ws.request("PUT", "/v1/accounts/tick", { name: "Tick KK", tier: "tech_touch" });
    now = new Date("2031-02-03T04:05:06.000Z");
    const patched = await ws.request("PATCH", "/v1/accounts/tick", { lifecycleStage: "adoption" });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as Account).updatedAt).toBe("2031-02-03T04:05:06.000Z");

    const journey = { name: "Tick", trigger: { type: "manual" }, steps: [{ id: "done", type: "exit" }] };
    expect((await ws.request("PUT", "/v1/journeys/tick", journey)).status).toBe(201);
    const draft = await ws.request("PUT", "/v1/journeys/tick", { ...journey, name: "Tick tock" });
    expect(draft.status).toBe(200);
    expect(((await draft.json()) as { updatedAt: string }).updatedAt).toBe("2031-02-03T04:05:06.000Z");

    now = new Date("2031-03-04T05:06:07.000Z");
    expect((await ws.request("POST", "/v1/journeys/tick/archive")).status).toBe(200);
    const archived = (await (await ws.request("GET", "/v1/journeys/tick")).json()) as {
      status: string;
      updatedAt: string;
    };
    expect(archived).toMatchObject({ status: "archived", updatedAt: "2031-03-04T05:06:07.000Z" });
  });
});
