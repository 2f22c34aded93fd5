import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Enrollment } from "../apps/core/enrollments/schemas";
import { checkEscalationSla } from "../apps/core/escalations/sla";
import { createLogger } from "../apps/logger";
import {
  eventually,
  type SmtpSink,
  smtpSink,
  startTestStack,
  type TestStack,
  type TestWorkspace,
  webhookReceiver,
} from "./harness";

// Logs and metrics of a real stack: API, worker on the dev server, SMTP server, one Temporal Runtime
// logging through Volante's logger as `npm start` installs it.
type Line = Record<string, unknown> & { level: string; msg: string };
const raw: string[] = [];
let smtp: SmtpSink;
let stack: TestStack;
let ws: TestWorkspace;

beforeAll(async () => {
  smtp = await smtpSink();
  const log = createLogger("debug", (line) => raw.push(line));
  // The open-escalations gauge counts every workspace's: a database of the file's own keeps other
  // files' escalations out of it on a shared PostgreSQL server.
  stack = await startTestStack({ smtpUrl: smtp.url, log, temporalLog: log, ownDatabase: true });
  ws = await stack.newWorkspace("Observability");
  await ws.request("PUT", "/v1/accounts/acme", { name: "Acme KK", tier: "low_touch" });
  await ws.request("PUT", "/v1/accounts/acme/contacts/admin", {
    email: "admin@acme.example",
    role: "admin",
    name: "Admin san",
  });
});
afterAll(async () => {
  await stack?.close();
  await smtp?.close();
});

async function runJourney(key: string, steps: Record<string, unknown>[]): Promise<Enrollment> {
  await ws.request("PUT", `/v1/journeys/${key}`, { name: key, trigger: { type: "manual" }, steps });
  expect((await ws.request("POST", `/v1/journeys/${key}/publish`)).status).toBe(201);
  const res = await ws.request("POST", "/v1/enrollments", { journey: key, account: "acme" });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as Enrollment;
  return eventually(
    async () => {
      const e = (await (await ws.request("GET", `/v1/enrollments/${id}`)).json()) as Enrollment;
      return e.status === "completed" ? e : undefined;
    },
    `${key} to complete`,
    60_000,
  );
}

/** The value of one sample in Prometheus text (0 when absent): `name{labels}` exactly as written. */
async function sample(series: string): Promise<number> {
  const text = await (await stack.app.request("/metrics")).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("logs", () => {
  it("writes every line as one JSON object", () => {
    expect(raw.length).toBeGreaterThan(0);
    for (const line of raw) {
      expect(line.endsWith("\n")).toBe(true);
      expect(line.trimEnd()).not.toContain("\n");
      expect(() => JSON.parse(line)).not.toThrow();
    }
  });

  it("writes one request line per request: its id (the caller's, echoed), workspace, method, route pattern, status and duration", async () => {
    const before = raw.length;
    const res = await ws.request("GET", "/v1/accounts/acme", undefined, { "x-request-id": "trace-0042" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("trace-0042");
    const missing = await ws.request("GET", "/v1/accounts/nobody");
    expect(missing.status).toBe(404);
    const generated = missing.headers.get("x-request-id");
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);

    const requests = raw
      .slice(before)
      .map((l) => JSON.parse(l) as Line)
      .filter((l) => l.msg === "request");
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      level: "info",
      requestId: "trace-0042",
      workspaceId: ws.workspaceId,
      method: "GET",
      route: "/v1/accounts/:externalId",
      status: 200,
    });
    expect(requests[1]).toMatchObject({
      requestId: generated,
      route: "/v1/accounts/:externalId",
      status: 404,
    });
    for (const r of requests) expect(r.durationMs).toEqual(expect.any(Number));
    // The raw path is not logged: it can carry an address or a token.
    expect(JSON.stringify(requests)).not.toContain("nobody");
  });

  it("logs a webhook that keeps failing as one warn line per retried attempt, with the run's ids, and once with its cause at the end", async () => {
    const receiver = await webhookReceiver([503]);
    const before = raw.length;
    const failed = await sample('volante_webhooks_total{result="failed"}');
    const retrying = await sample('volante_webhooks_total{result="retrying"}');
    try {
      await runJourney("failing-hook", [
        { id: "notify", type: "webhook", url: receiver.url, payload: { kind: "test" } },
      ]);
      expect(receiver.received).toHaveLength(5);
      const logged = raw.slice(before).map((l) => JSON.parse(l) as Line);
      const attempts = logged.filter((l) => l.msg === "activity attempt failed; Temporal retries it");
      expect(attempts.map((l) => l.attempt)).toEqual([1, 2, 3, 4]);
      for (const a of attempts) {
        expect(a).toMatchObject({
          level: "warn",
          sdk: "worker",
          activityType: "applyTransition",
          workflowId: expect.stringContaining(":failing-hook:acme"),
          runId: expect.any(String),
          error: "webhook answered 503",
        });
      }
      const final = logged.filter((l) => l.msg === "webhook failed for good");
      expect(final).toHaveLength(1);
      expect(final[0]).toMatchObject({
        level: "warn",
        status: 503,
        attempt: 5,
        error: "webhook answered 503",
        // Core's line written in the activity carries the run's ids too.
        workflowId: expect.stringContaining(":failing-hook:acme"),
        runId: expect.any(String),
        activityType: "applyTransition",
      });
      expect(await sample('volante_webhooks_total{result="failed"}')).toBe(failed + 1);
      expect(await sample('volante_webhooks_total{result="retrying"}')).toBe(retrying + 4);
      // No stack dump for an attempt Temporal retries.
      expect(logged.filter((l) => JSON.stringify(l).includes("    at "))).toEqual([]);
    } finally {
      await receiver.close();
    }
  }, 90_000);
});

describe("/metrics", () => {
  it("counts the touches, the SMTP send and the escalation a journey makes, its breach once, and the escalations left open by tier", async () => {
    const sent = 'volante_touches_total{channel="email",status="sent",reason=""}';
    const decided = 'volante_delivery_decisions_total{channel="email",decision="send"}';
    const smtpSends = 'volante_smtp_send_duration_seconds_count{result="sent"}';
    const opened = 'volante_escalations_opened_total{tier="low_touch",priority="high"}';
    const open = 'volante_escalations_open{tier="low_touch",breached="false"}';
    const before = {
      sent: await sample(sent),
      decided: await sample(decided),
      smtp: await sample(smtpSends),
      opened: await sample(opened),
      open: await sample(open),
    };

    await runJourney("welcome-then-call", [
      { id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" },
      { id: "call", type: "escalate", reason: "Call them", priority: "high", sla: "P2D" },
    ]);
    await eventually(async () => smtp.mail.find((m) => m.to.includes("admin@acme.example")), "the welcome");

    expect(await sample(sent)).toBe(before.sent + 1);
    expect(await sample(decided)).toBe(before.decided + 1);
    expect(await sample(smtpSends)).toBeGreaterThanOrEqual(before.smtp + 1);
    expect(await sample(opened)).toBe(before.opened + 1);
    expect(await sample(open)).toBe(before.open + 1);

    // The SLA deadline passes (the SLA workflow's check, called as its activity does; twice, as a
    // retry would): counted once, and the gauge moves to breached.
    const list = (await (await ws.request("GET", "/v1/escalations")).json()) as { data: { id: string }[] };
    const escalationId = list.data[0]?.id ?? "";
    const breached = 'volante_escalations_breached_total{priority="high"}';
    const breachedBefore = await sample(breached);
    for (let i = 0; i < 2; i++)
      await checkEscalationSla(stack.deps, {
        workspaceId: ws.workspaceId,
        escalationId,
        stage: "breach",
        at: new Date().toISOString(),
      });
    expect(await sample(breached)).toBe(breachedBefore + 1);
    expect(await sample('volante_escalations_open{tier="low_touch",breached="true"}')).toBe(1);
    expect(await sample(open)).toBe(before.open);

    // Routing lag: an event posted now is observed once routed.
    const lag = "volante_event_routing_lag_seconds_count";
    const routedBefore = await sample(lag);
    const posted = await ws.request("POST", "/v1/events", {
      events: [{ id: "evt-login-1", account: "acme", name: "login", occurredAt: new Date().toISOString() }],
    });
    expect(posted.status).toBeLessThan(300);
    await eventually(
      async () => ((await sample(lag)) > routedBefore ? true : undefined),
      "the event's routing",
    );
  });
});
