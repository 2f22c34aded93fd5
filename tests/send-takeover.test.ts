import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { temporal } from "@temporalio/proto";
import { eq } from "drizzle-orm";
import { simpleParser } from "mailparser";
import type { Transporter } from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DeliveryDeps, deliverTouch, type TouchRequest } from "../apps/core/delivery/deliver-touch";
import { createSmtpTransport } from "../apps/core/delivery/mailer";
import { release } from "../apps/core/delivery/reservations";
import type { Enrollment } from "../apps/core/enrollments/schemas";
import { contactSends, touches } from "../db/schema";
import { type JourneyRunWorkflow, SENDS_AS_ACTIVITIES } from "../workflows/contracts";
import {
  eventually,
  type ReceivedMail,
  smtpServer,
  startTestStack,
  type TestStack,
  type TestWorkspace,
} from "./harness";

// Decision 0043: a touch runs as a heartbeated regular activity, and its retry takes over the pending
// reservations of the attempt before it at once; a local activity's retry keeps waiting out the lease.

/** How long the slow SMTP server takes to answer each message. */
const SLOW_REPLY_MS = 3_000;

const EventType = temporal.api.enums.v1.EventType;
const historiesDir = new URL("./histories/", import.meta.url).pathname;

let stack: TestStack;
let ws: TestWorkspace;
let slowSmtp: { url: string; mail: ReceivedMail[]; close(): Promise<void> };
let accounts = 0;

beforeAll(async () => {
  const mail: ReceivedMail[] = [];
  const server = await smtpServer((message, answer) => {
    mail.push(message);
    setTimeout(answer, SLOW_REPLY_MS);
  });
  slowSmtp = { ...server, mail };
  stack = await startTestStack({ smtpUrl: slowSmtp.url });
  ws = await stack.newWorkspace("Takeover Cloud");
});
afterAll(async () => {
  await stack?.close();
  await slowSmtp?.close();
});

/** A fresh account with one admin contact; returns its external id and the contact's address. */
async function account(): Promise<{ id: string; email: string }> {
  const id = `takeover-${accounts++}`;
  const email = `admin@${id}.example`;
  await ws.request("PUT", `/v1/accounts/${id}`, { name: `${id} KK`, tier: "tech_touch" });
  await ws.request("PUT", `/v1/accounts/${id}/contacts/admin`, { email, role: "admin", locale: "en" });
  return { id, email };
}

async function publish(key: string, steps: Record<string, unknown>[]): Promise<void> {
  const saved = await ws.request("PUT", `/v1/journeys/${key}`, {
    name: key,
    trigger: { type: "manual" },
    steps,
  });
  expect(saved.ok).toBe(true);
  expect((await ws.request("POST", `/v1/journeys/${key}/publish`)).status).toBe(201);
}

async function enroll(journey: string, account: string): Promise<Enrollment> {
  const res = await ws.request("POST", "/v1/enrollments", { journey, account });
  expect(res.status).toBe(201);
  return (await res.json()) as Enrollment;
}

describe("send reservations of the heartbeated delivery activity", () => {
  let sleeping = 0;
  const sink: ReceivedMail[] = [];
  let fast: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    fast = await smtpServer((message, answer) => {
      sink.push(message);
      answer();
    });
  });
  afterAll(async () => fast?.close());

  function deps(transport: Transporter): DeliveryDeps {
    const { db, outboxDir, fileTemplates, renderer, publicUrl, clock, outbound } = stack.workerConfig;
    return { db, outboxDir, fileTemplates, renderer, publicUrl, transport, clock, outbound };
  }
  /** A worker that dies inside sendMail: the call never comes back, nothing after it runs. */
  function dying(): { transport: Transporter; onWire: Promise<void> } {
    let wire = () => {};
    const onWire = new Promise<void>((resolve) => {
      wire = resolve;
    });
    const sendMail = () => {
      wire();
      return new Promise(() => {});
    };
    return { transport: { sendMail } as unknown as Transporter, onWire };
  }

  /**
   * An enrollment asleep before its touch (so only the test delivers it), and an attempt of that touch
   * that reserved its contact and died on the wire. Returns the request and the pending reservation.
   */
  async function diedHoldingReservation(by: { attempt: number; heartbeated: boolean }) {
    const { id, email } = await account();
    const key = `asleep-${sleeping++}`;
    await publish(key, [
      { id: "nap", type: "wait", duration: "P30D" },
      { id: "mail", type: "email", template: "onboarding-welcome", to: "role:admin" },
    ]);
    const enrollment = await enroll(key, id);
    const request: TouchRequest = {
      workspaceId: ws.workspaceId,
      enrollmentId: enrollment.id,
      journeyName: key,
      touchKey: "mail:1",
      stepId: "mail",
      channel: "email",
      template: "onboarding-welcome",
      to: "role:admin",
      at: new Date().toISOString(),
      ...by,
    };
    const dead = dying();
    // Never settles once on the wire: that worker is gone.
    const attempt = deliverTouch(deps(dead.transport), request);
    await Promise.race([
      dead.onWire,
      attempt.then((outcome) => {
        throw new Error(`the dying attempt ended before the wire: ${JSON.stringify(outcome)}`);
      }),
    ]);
    const reservation = await eventually(async () => {
      const [row] = await stack.database.db
        .select()
        .from(contactSends)
        .innerJoin(touches, eq(touches.id, contactSends.touchId))
        .where(eq(touches.enrollmentId, enrollment.id));
      return row?.contact_sends;
    }, "the reservation");
    expect(reservation).toMatchObject({ status: "pending", attempt: by.heartbeated ? by.attempt : null });
    return { request, reservation, email };
  }

  const reservationOf = async (id: string) =>
    (await stack.database.db.select().from(contactSends).where(eq(contactSends.id, id)))[0];

  it("lets attempt 2 take over attempt 1's pending reservation at once and send it with its Message-ID", async () => {
    const { request, reservation, email } = await diedHoldingReservation({ attempt: 1, heartbeated: true });
    const retried = await deliverTouch(deps(createSmtpTransport(fast.url)), { ...request, attempt: 2 });

    expect(retried.status).toBe("sent");
    const received = sink.filter((m) => m.to.includes(email));
    expect(received).toHaveLength(1);
    const messageId = `<${reservation.touchId}.${reservation.contactId}@volante.local>`;
    expect((await simpleParser(received[0]?.raw ?? "")).messageId).toBe(messageId);
    expect(await reservationOf(reservation.id)).toMatchObject({ status: "sent", messageId, attempt: 2 });
  });

  it("keeps a taken-over reservation when the superseded attempt fails late and gives its own back", async () => {
    const { request, reservation } = await diedHoldingReservation({ attempt: 1, heartbeated: true });
    // Attempt 2 holds the row now (it dies on the wire too, so the row stays pending).
    const second = dying();
    void deliverTouch(deps(second.transport), { ...request, attempt: 2 });
    await second.onWire;
    expect(await reservationOf(reservation.id)).toMatchObject({ status: "pending", attempt: 2 });
    // Attempt 1 was not dead after all: its send fails, and it releases what it thinks is its own.
    await release(stack.database.db, reservation.id, { attempt: 1, heartbeated: true });
    expect(await reservationOf(reservation.id)).toMatchObject({ status: "pending", attempt: 2 });
    // Attempt 2's own release does give it back.
    await release(stack.database.db, reservation.id, { attempt: 2, heartbeated: true });
    expect(await reservationOf(reservation.id)).toBeUndefined();
  });

  it("finds a reservation of the same attempt in flight while its lease runs", async () => {
    const { request, reservation, email } = await diedHoldingReservation({ attempt: 3, heartbeated: true });
    await expect(deliverTouch(deps(createSmtpTransport(fast.url)), request)).rejects.toThrow(/in flight/);
    expect(sink.filter((m) => m.to.includes(email))).toHaveLength(0);
    expect(await reservationOf(reservation.id)).toMatchObject({ status: "pending", attempt: 3 });
  });

  it("keeps the lease for a reservation a local activity took, whatever attempt retries it", async () => {
    const { request, reservation, email } = await diedHoldingReservation({ attempt: 1, heartbeated: false });
    const transport = createSmtpTransport(fast.url);
    // The local activity's own retry: it may still be running, only the lease says it is gone.
    await expect(deliverTouch(deps(transport), { ...request, attempt: 2 })).rejects.toThrow(/in flight/);
    // Nor does a heartbeated attempt know anything of a local one (a run that moved to the new path).
    await expect(
      deliverTouch(deps(transport), { ...request, attempt: 5, heartbeated: true }),
    ).rejects.toThrow(/in flight/);
    expect(sink.filter((m) => m.to.includes(email))).toHaveLength(0);
    expect(await reservationOf(reservation.id)).toMatchObject({ status: "pending", attempt: null });
  });
});

describe("a touch on Temporal with a slow mail server", () => {
  it("runs as a regular activity and keeps every workflow task short", async () => {
    const { id, email } = await account();
    await publish("slow-mail", [
      { id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" },
      // Two transitions, so the history holds a timer between two activities.
      { id: "pause", type: "wait", duration: "PT1S" },
      { id: "check-in", type: "email", template: "onboarding-check-in", to: "role:admin" },
    ]);
    const enrollment = await enroll("slow-mail", id);
    const handle = stack.client.workflow.getHandle<JourneyRunWorkflow>(enrollment.workflowId);
    expect(await handle.result()).toMatchObject({ status: "completed" });
    expect(slowSmtp.mail.filter((m) => m.to.includes(email))).toHaveLength(2);

    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    type Event = (typeof events)[number];
    const ms = (e: Event | undefined) =>
      Number(e?.eventTime?.seconds ?? 0) * 1000 + Math.round((e?.eventTime?.nanos ?? 0) / 1e6);
    const of = (type: number) => events.filter((e) => e.eventType === type);
    const byId = (id: unknown) => events.find((e) => String(e.eventId) === String(id));

    // Both touches went through the activity task queue, heartbeated, after the patch marker.
    const scheduled = of(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)).toEqual([
      "applyTransition",
      "applyTransition",
    ]);
    expect(Number(scheduled[0]?.activityTaskScheduledEventAttributes?.heartbeatTimeout?.seconds)).toBe(15);
    const patches = of(EventType.EVENT_TYPE_MARKER_RECORDED).flatMap((e) =>
      (e.markerRecordedEventAttributes?.details?.["patch-data"]?.payloads ?? []).map((p) =>
        Buffer.from(p.data ?? []).toString(),
      ),
    );
    expect(patches.map((p) => JSON.parse(p).id)).toEqual([SENDS_AS_ACTIVITIES]);

    // The slow replies were waited for by the activities…
    const activitySpans = of(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED).map(
      (c) => ms(c) - ms(byId(c.activityTaskCompletedEventAttributes?.scheduledEventId)),
    );
    expect(activitySpans).toHaveLength(2);
    expect(Math.min(...activitySpans)).toBeGreaterThanOrEqual(SLOW_REPLY_MS * 0.9);
    // …and never inside a workflow task.
    const taskSpans = of(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).map(
      (c) => ms(c) - ms(byId(c.workflowTaskCompletedEventAttributes?.startedEventId)),
    );
    expect(taskSpans.length).toBeGreaterThanOrEqual(3);
    console.log(
      `slow mail (${SLOW_REPLY_MS} ms a reply): activities ${activitySpans.join(", ")} ms; ` +
        `workflow tasks ${taskSpans.join(", ")} ms; ${events.length} history events for 2 touches`,
    );
    // About a second at most (a cold first task on a loaded machine), and never one reply long.
    expect(Math.max(...taskSpans)).toBeLessThan(SLOW_REPLY_MS / 2);

    await recordHistory("sends-as-activities", history);
  }, 60_000);
});

/** Written once and committed, never overwritten: later workflow code must keep replaying it. */
async function recordHistory(name: string, history: unknown): Promise<void> {
  const file = join(historiesDir, `${name}.json`);
  if (await stat(file).catch(() => null)) return;
  await mkdir(historiesDir, { recursive: true });
  await writeFile(file, JSON.stringify(history));
}
