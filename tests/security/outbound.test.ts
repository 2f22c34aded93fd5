import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postWebhook } from "../../apps/core/delivery/webhooks";
import type { Enrollment } from "../../apps/core/enrollments/schemas";
import { BLOCKED, isAllowedAddress, targetProblem } from "../../apps/core/shared/outbound";
import { eventually, startTestStack, type TestStack, type TestWorkspace, webhookReceiver } from "../harness";

// Every request these tests let through goes to a server of their own on 127.0.0.1; the others are
// refused before any connection is made.
const none = { allow: [] as string[] };

describe("the outbound guard's address classification", () => {
  const internal = [
    "http://127.0.0.1:8233/",
    "http://127.1/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0x7f000001/",
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
  ];
  it.each(internal)("refuses %s when saved", (url) => {
    expect(targetProblem(url, none)).toBe(BLOCKED);
  });

  it("lets public addresses and names through, and refuses other schemes", () => {
    expect(targetProblem("https://hooks.slack.com/services/T0/B0/x", none)).toBeUndefined();
    expect(targetProblem("http://93.184.216.34/hook", none)).toBeUndefined();
    expect(targetProblem("http://[2606:2800:220:1:248:1893:25c8:1946]/", none)).toBeUndefined();
    expect(targetProblem("ftp://example.com/x", none)).toBe("must be an http or https URL");
    expect(targetProblem("not a url", none)).toBe("must be a URL");
  });

  it("allows exactly the CIDRs an operator lists in VOLANTE_OUTBOUND_ALLOW", () => {
    const allow = { allow: ["10.1.2.0/24", "127.0.0.1", "fd00::/8"] };
    expect(isAllowedAddress("10.1.2.99", allow)).toBe(true);
    expect(isAllowedAddress("10.1.3.1", allow)).toBe(false);
    expect(isAllowedAddress("127.0.0.1", allow)).toBe(true);
    expect(isAllowedAddress("127.0.0.2", allow)).toBe(false);
    expect(isAllowedAddress("::ffff:127.0.0.1", allow)).toBe(true);
    expect(isAllowedAddress("fd12::1", allow)).toBe(true);
    expect(isAllowedAddress("fe80::1", allow)).toBe(false);
  });
});

describe("webhooks through the outbound guard", () => {
  const signing = { secrets: [`whsec_${Buffer.alloc(32, 7).toString("base64")}`], at: new Date() };
  const opts = { idempotencyKey: "k", attempt: 1, maxAttempts: 5, signing };

  it("sends nothing to an internal address, and says only that it was blocked", async () => {
    const receiver = await webhookReceiver([200]);
    try {
      expect(await postWebhook(receiver.url, { a: 1 }, { ...opts, policy: none })).toEqual({
        ok: false,
        error: BLOCKED,
      });
      // A name that resolves to loopback is refused at send time, on the address DNS returned.
      const byName = receiver.url.replace("127.0.0.1", "localhost");
      expect(targetProblem(byName, none)).toBeUndefined();
      expect(await postWebhook(byName, { a: 1 }, { ...opts, policy: none })).toEqual({
        ok: false,
        error: BLOCKED,
      });
      expect(receiver.received).toEqual([]);
      // Allowed by the operator, the same target is reached.
      const allowed = { allow: ["127.0.0.1/32"] };
      expect(await postWebhook(byName, { a: 1 }, { ...opts, policy: allowed })).toEqual({
        ok: true,
        status: 200,
      });
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it("does not follow a redirect", async () => {
    const inner = await webhookReceiver([200]);
    let hits = 0;
    const outer = createServer((req, res) => {
      hits++;
      req.resume();
      res.writeHead(302, { location: inner.url }).end();
    });
    await new Promise<void>((resolve) => outer.listen(0, "127.0.0.1", resolve));
    const { port } = outer.address() as AddressInfo;
    try {
      const result = await postWebhook(
        `http://127.0.0.1:${port}/hook`,
        { a: 1 },
        { ...opts, policy: { allow: ["127.0.0.1/32"] } },
      );
      expect(result).toEqual({ ok: false, status: 302, error: "webhook answered 302" });
      expect(hits).toBe(1);
      expect(inner.received).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => outer.close(() => resolve()));
      await inner.close();
    }
  });
});

describe("the API with no internal target allowed", () => {
  let stack: TestStack;
  let ws: TestWorkspace;

  beforeAll(async () => {
    stack = await startTestStack({ outboundAllow: [] });
    ws = await stack.newWorkspace();
  });
  afterAll(() => stack?.close());

  it("refuses a notification webhook at an internal address, naming the field", async () => {
    const res = await ws.request("PUT", "/v1/settings", {
      notifications: { webhookUrl: "http://127.1:8233/" },
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      errors: [{ pointer: "/notifications/webhookUrl", message: BLOCKED }],
    });
    const saved = (await (await ws.request("GET", "/v1/settings")).json()) as {
      notifications: { webhookUrl: string | null };
    };
    expect(saved.notifications.webhookUrl ?? null).toBeNull();
  });

  it("refuses to publish a webhook step at a literal internal address", async () => {
    await ws.request("PUT", "/v1/journeys/ssrf", {
      name: "ssrf",
      trigger: { type: "manual" },
      steps: [
        { id: "meta", type: "webhook", url: "http://169.254.169.254/latest/meta-data/", payload: {} },
        { id: "mapped", type: "webhook", url: "http://[::ffff:127.0.0.1]:3000/v1/accounts", payload: {} },
      ],
    });
    const res = await ws.request("POST", "/v1/journeys/ssrf/publish");
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      type: expect.stringContaining("journey-invalid"),
      errors: [
        { pointer: "/steps/0/url", message: BLOCKED },
        { pointer: "/steps/1/url", message: BLOCKED },
      ],
    });
  });

  it("blocks a webhook step whose name resolves to loopback at send time; the trace shows no answer", async () => {
    const receiver = await webhookReceiver([200]);
    try {
      const url = receiver.url.replace("127.0.0.1", "localhost");
      await ws.request("PUT", "/v1/journeys/rebind", {
        name: "rebind",
        trigger: { type: "manual" },
        steps: [{ id: "hook", type: "webhook", url, payload: {} }],
      });
      expect((await ws.request("POST", "/v1/journeys/rebind/publish")).status).toBe(201);
      await ws.request("PUT", "/v1/accounts/rebind", { name: "Rebind KK", tier: "tech_touch" });
      const res = await ws.request("POST", "/v1/enrollments", { journey: "rebind", account: "rebind" });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as Enrollment;
      const trace = await eventually(async () => {
        const t = (await (await ws.request("GET", `/v1/enrollments/${id}/trace`)).json()) as {
          enrollment: Enrollment;
          trace: { kind: string; detail: Record<string, unknown> }[];
        };
        return t.enrollment.status === "completed" ? t.trace : undefined;
      }, "the run to complete");
      expect(trace.filter((t) => t.kind.startsWith("webhook_"))).toEqual([
        expect.objectContaining({ kind: "webhook_failed", detail: { ok: false, error: BLOCKED } }),
      ]);
      expect(receiver.received).toEqual([]);
    } finally {
      await receiver.close();
    }
  });
});
