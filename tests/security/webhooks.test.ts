import { eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Enrollment } from "../../apps/core/enrollments/schemas";
import { deliverHealthAlerts } from "../../apps/core/health/alerts";
import { URL_CREDENTIALS } from "../../apps/core/shared/outbound";
import { getSettings } from "../../apps/core/workspace/settings";
import { type RotatedWebhookSecret, signingSecrets } from "../../apps/core/workspace/webhook-secret";
import { accounts, healthAlerts } from "../../db/schema/index";
import {
  eventually,
  startTestStack,
  type TestStack,
  type TestWorkspace,
  type WebhookReceiver,
  webhookReceiver,
} from "../harness";

type Trace = {
  enrollment: Enrollment;
  trace: { kind: string; stepId: string | null; detail: Record<string, unknown> }[];
};

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.close());

async function rotate(ws: TestWorkspace): Promise<RotatedWebhookSecret> {
  const res = await ws.request("POST", "/v1/settings/webhook-secret");
  expect(res.status).toBe(201);
  return (await res.json()) as RotatedWebhookSecret;
}

/** Publishes a manual journey and enrolls a fresh account in it. */
async function enroll(ws: TestWorkspace, key: string, steps: unknown[]): Promise<Enrollment> {
  await ws.request("PUT", `/v1/journeys/${key}`, { name: key, trigger: { type: "manual" }, steps });
  expect((await ws.request("POST", `/v1/journeys/${key}/publish`)).status).toBe(201);
  await ws.request("PUT", `/v1/accounts/${key}`, { name: `${key} KK`, tier: "tech_touch" });
  const res = await ws.request("POST", "/v1/enrollments", { journey: key, account: key });
  expect(res.status).toBe(201);
  return (await res.json()) as Enrollment;
}

async function completed(ws: TestWorkspace, id: string): Promise<Trace> {
  return eventually(async () => {
    const t = (await (await ws.request("GET", `/v1/enrollments/${id}/trace`)).json()) as Trace;
    return t.enrollment.status === "completed" ? t : undefined;
  }, "the run to complete");
}

/** What a receiver does with the `standardwebhooks` package: throws unless the signature holds. */
function verify(secret: string, request: WebhookReceiver["received"][number]): unknown {
  return new Webhook(secret).verify(JSON.stringify(request.body), request.headers as Record<string, string>);
}

describe("each webhook side effect once", () => {
  it("does not post a delivered webhook step again when a later effect of the transition retries", async () => {
    const ws = await stack.newWorkspace();
    const { secret } = await rotate(ws);
    const first = await webhookReceiver([200]);
    const second = await webhookReceiver([503, 503, 200]);
    try {
      const enrollment = await enroll(ws, "once", [
        { id: "first", type: "webhook", url: first.url, payload: { n: 1 } },
        { id: "second", type: "webhook", url: second.url, payload: { n: 2 } },
      ]);
      const { trace } = await completed(ws, enrollment.id);
      expect(second.received).toHaveLength(3);
      expect(first.received).toHaveLength(1);
      expect(trace.filter((t) => t.kind.startsWith("webhook_"))).toEqual([
        expect.objectContaining({ kind: "webhook_delivered", stepId: "first" }),
        expect.objectContaining({ kind: "webhook_delivered", stepId: "second" }),
      ]);
      // Every attempt is signed, with the same message id: a receiver can drop duplicates.
      for (const request of [...first.received, ...second.received]) verify(secret, request);
      expect(new Set(second.received.map((r) => r.headers["webhook-id"]))).toEqual(
        new Set([`${enrollment.id}:second:1`]),
      );
      // Signed in the activity: the secret is in no workflow history.
      const history = await stack.client.workflow.getHandle(enrollment.workflowId).fetchHistory();
      expect(JSON.stringify(history)).not.toContain(secret.slice(6));
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describe("signed webhooks (Standard Webhooks)", () => {
  it("signs a journey's webhook step with the workspace's secret", async () => {
    const ws = await stack.newWorkspace();
    const { secret } = await rotate(ws);
    const receiver = await webhookReceiver([200]);
    try {
      const enrollment = await enroll(ws, "signed", [
        { id: "hook", type: "webhook", url: receiver.url, payload: { hello: "world" } },
      ]);
      await completed(ws, enrollment.id);
      const [request] = receiver.received;
      if (!request) throw new Error("no webhook received");
      expect(verify(secret, request)).toMatchObject({ hello: "world", stepId: "hook" });
      const timestamp = Number(request.headers["webhook-timestamp"]);
      expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
      // Another workspace's secret does not verify it.
      const other = await rotate(await stack.newWorkspace());
      expect(() => verify(other.secret, request)).toThrow();
    } finally {
      await receiver.close();
    }
  });

  it("signs the escalation notification to the workspace's webhook", async () => {
    const ws = await stack.newWorkspace();
    const { secret } = await rotate(ws);
    const receiver = await webhookReceiver([200]);
    try {
      expect(
        (await ws.request("PUT", "/v1/settings", { notifications: { webhookUrl: receiver.url } })).status,
      ).toBe(200);
      await enroll(ws, "escalated", [
        { id: "call", type: "escalate", reason: "Usage fell off", priority: "high", sla: "P1D" },
      ]);
      const request = await eventually(async () => receiver.received[0], "the escalation webhook");
      expect(verify(secret, request)).toMatchObject({ event: "escalation.opened" });
    } finally {
      await receiver.close();
    }
  });

  it("signs health alerts", async () => {
    const ws = await stack.newWorkspace();
    const { secret } = await rotate(ws);
    const receiver = await webhookReceiver([200]);
    try {
      await ws.request("PUT", "/v1/settings", { notifications: { webhookUrl: receiver.url } });
      await ws.request("PUT", "/v1/accounts/falling", { name: "Falling KK" });
      const { db } = stack.database;
      const [account] = await db.select().from(accounts).where(eq(accounts.workspaceId, ws.workspaceId));
      if (!account) throw new Error("no account");
      await db.insert(healthAlerts).values({
        workspaceId: ws.workspaceId,
        accountId: account.id,
        fromBand: "yellow",
        toBand: "red",
        score: 29,
        raisedAt: new Date(),
      });
      // What the healthAlerts workflow's activity calls.
      expect(await deliverHealthAlerts(stack.deps, ws.workspaceId, 1)).toBe(1);
      const [request] = receiver.received;
      if (!request) throw new Error("no webhook received");
      expect(verify(secret, request)).toMatchObject({ event: "health.band_changed" });
      expect(request.headers["webhook-id"]).toMatch(/^health-alert:/);
    } finally {
      await receiver.close();
    }
  });

  it("after a rotation signs with both secrets for 24 hours, then with the new one only", async () => {
    const ws = await stack.newWorkspace();
    const before = await (await ws.request("GET", "/v1/settings/webhook-secret")).json();
    expect(before).toEqual({ set: false, createdAt: null });
    const old = await rotate(ws);
    expect(old.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(old.previousValidUntil).toBeNull();
    const rotated = await rotate(ws);
    expect(rotated.secret).not.toBe(old.secret);
    expect(Date.parse(rotated.previousValidUntil ?? "") - Date.parse(rotated.createdAt)).toBe(86_400_000);

    const receiver = await webhookReceiver([200]);
    try {
      const enrollment = await enroll(ws, "rotated", [{ id: "hook", type: "webhook", url: receiver.url }]);
      await completed(ws, enrollment.id);
      const [request] = receiver.received;
      if (!request) throw new Error("no webhook received");
      // A receiver still on the old secret and one already on the new both accept it.
      verify(old.secret, request);
      verify(rotated.secret, request);
      expect(String(request.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    } finally {
      await receiver.close();
    }
    const later = { db: stack.database.db, clock: { now: () => new Date(Date.now() + 86_400_000 + 60_000) } };
    expect(await signingSecrets(later, ws.workspaceId)).toEqual([rotated.secret]);
  });

  it("never shows the secret again", async () => {
    const ws = await stack.newWorkspace();
    const { secret, createdAt } = await rotate(ws);
    const status = await ws.request("GET", "/v1/settings/webhook-secret");
    const text = await status.text();
    expect(JSON.parse(text)).toEqual({ set: true, createdAt });
    expect(text).not.toContain(secret);
    expect(await (await ws.request("GET", "/v1/settings")).text()).not.toContain(secret.slice(6));
  });
});

describe("webhook URLs are secrets", () => {
  const slack = "https://hooks.slack.com/services/T000/B000/XXXXsecretToken1234";

  it("shows the notification webhook masked, and keeps it when the masked value is sent back", async () => {
    const ws = await stack.newWorkspace();
    const put = await ws.request("PUT", "/v1/settings", {
      notifications: { webhookUrl: slack, managerEmail: "lead@vendor.example" },
    });
    expect(put.status).toBe(200);
    const masked = "https://hooks.slack.com/…1234";
    expect(await put.json()).toMatchObject({ notifications: { webhookUrl: masked } });
    const shown = (await (await ws.request("GET", "/v1/settings")).json()) as {
      notifications: { webhookUrl: string; managerEmail: string };
    };
    expect(shown.notifications.webhookUrl).toBe(masked);
    expect(JSON.stringify(shown)).not.toContain("secretToken");

    // Read, modify, write: the masked URL keeps the stored one.
    shown.notifications.managerEmail = "boss@vendor.example";
    expect((await ws.request("PUT", "/v1/settings", shown)).status).toBe(200);
    const stored = await getSettings(stack.database.db, ws.workspaceId);
    expect(stored.notifications).toEqual({ webhookUrl: slack, managerEmail: "boss@vendor.example" });

    // The mask of another URL is refused, naming the field.
    const stale = await ws.request("PUT", "/v1/settings", {
      notifications: { webhookUrl: "https://hooks.slack.com/…9999" },
    });
    expect(stale.status).toBe(422);
    expect(await stale.json()).toMatchObject({ errors: [{ pointer: "/notifications/webhookUrl" }] });
    expect((await getSettings(stack.database.db, ws.workspaceId)).notifications.webhookUrl).toBe(slack);

    // A new URL replaces it, and null removes it.
    const other = "https://hooks.slack.com/services/T000/B000/another9876";
    await ws.request("PUT", "/v1/settings", { notifications: { webhookUrl: other } });
    expect((await getSettings(stack.database.db, ws.workspaceId)).notifications.webhookUrl).toBe(other);
    await ws.request("PUT", "/v1/settings", { notifications: { webhookUrl: null } });
    expect((await getSettings(stack.database.db, ws.workspaceId)).notifications.webhookUrl).toBeNull();
  });

  it("refuses URL credentials when the notification webhook is saved", async () => {
    const ws = await stack.newWorkspace();
    const res = await ws.request("PUT", "/v1/settings", {
      notifications: { webhookUrl: "https://user:pass@hooks.example.com/in" },
    });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(await res.json()).toMatchObject({
      errors: [{ pointer: "/notifications/webhookUrl", message: URL_CREDENTIALS }],
    });
    expect((await getSettings(stack.database.db, ws.workspaceId)).notifications.webhookUrl).toBeNull();
  });

  it("refuses to publish a webhook step with URL credentials", async () => {
    const ws = await stack.newWorkspace();
    await ws.request("PUT", "/v1/journeys/creds", {
      name: "creds",
      trigger: { type: "manual" },
      steps: [
        { id: "ok", type: "webhook", url: "https://hooks.example.com/in", payload: {} },
        { id: "creds", type: "webhook", url: "https://user:pass@hooks.example.com/in", payload: {} },
        { id: "user", type: "webhook", url: "https://token@hooks.example.com/in", payload: {} },
      ],
    });
    const res = await ws.request("POST", "/v1/journeys/creds/publish");
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      type: expect.stringContaining("journey-invalid"),
      errors: [
        { pointer: "/steps/1/url", message: URL_CREDENTIALS },
        { pointer: "/steps/2/url", message: URL_CREDENTIALS },
      ],
    });
  });
});
