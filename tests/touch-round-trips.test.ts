import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@temporalio/client";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAccountRow } from "../apps/core/accounts/accounts";
import { upsertContact } from "../apps/core/accounts/contacts";
import { upsertAccount } from "../apps/core/accounts/save-account";
import { loadRenderer } from "../apps/core/delivery/render";
import { applyTransition, type TransitionDeps } from "../apps/core/enrollments/transition";
import { findJourneyRow, publishJourney, saveDraft } from "../apps/core/journeys/journeys";
import { systemClock } from "../apps/core/shared/services";
import { loadFileTemplates } from "../apps/core/templates/files";
import { fileTemplateCatalog } from "../apps/core/templates/message-templates";
import { createWorkspace } from "../apps/core/workspace/api-keys";
import type { Database } from "../db/client";
import { contactSends, enrollments, enrollmentTrace, journeyVersions, touches } from "../db/schema";
import type { TransitionInput } from "../workflows/contracts";
import { type Counter, openCountingDatabase } from "./round-trips";

/**
 * What one journey touch costs the database (issue 19: at most 4 round trips): the common case, one
 * email to one contact, no frequency cap, in a transition that then waits. Counted on the wire for
 * PostgreSQL (a write the client then waits on is one round trip, so postgres.js's parse-and-describe
 * before an unprepared statement counts), and as calls into the engine for PGlite.
 */
const BOUND = 4;

const counter: Counter = { trips: 0 };
let database: Database;
let deps: TransitionDeps;
let outboxDir: string;
let workspaceId: string;
let journey: { id: string; versionId: string };

beforeAll(async () => {
  database = await openCountingDatabase(counter);
  const { db } = database;
  outboxDir = await mkdtemp(join(tmpdir(), "volante-round-trips-"));
  const fileTemplates = await loadFileTemplates();
  deps = {
    db,
    // No effect of these transitions reaches Temporal (no escalation).
    client: {} as Client,
    taskQueue: "unused",
    clock: systemClock,
    outboxDir,
    fileTemplates,
    renderer: await loadRenderer(),
    publicUrl: "http://localhost:3000",
    transport: undefined,
    outbound: { allow: [] },
  };
  ({ workspaceId } = await createWorkspace(db, "Round trips"));
  const catalog = fileTemplateCatalog(fileTemplates);
  const definition = {
    name: "One touch",
    trigger: { type: "manual" },
    steps: [{ id: "welcome", type: "email", template: "onboarding-welcome", to: "role:admin" }],
  };
  const saved = await saveDraft(db, workspaceId, "one-touch", definition, catalog, new Date());
  if (!saved.ok) throw new Error(JSON.stringify(saved.problems));
  const published = await publishJourney(db, workspaceId, "one-touch", catalog, new Date());
  if (!published.ok) throw new Error(JSON.stringify(published.problems));
  const row = await findJourneyRow(db, workspaceId, "one-touch");
  const [version] = await db
    .select()
    .from(journeyVersions)
    .where(eq(journeyVersions.journeyId, row?.id ?? ""));
  if (!row || !version) throw new Error("journey not published");
  journey = { id: row.id, versionId: version.id };
});

afterAll(async () => {
  await database?.close();
  if (outboxDir) await rm(outboxDir, { recursive: true, force: true });
});

/** An account with an owner CSM and one admin contact, enrolled in the journey. */
async function enrolledAccount(externalId: string): Promise<string> {
  const { db } = database;
  const at = new Date();
  await upsertAccount(
    db,
    workspaceId,
    externalId,
    {
      name: `${externalId} KK`,
      tier: "tech_touch",
      lifecycleStage: "onboarding",
      licenses: 10,
      ownerCsm: "hanako@vendor.example",
      attributes: {},
    },
    at,
  );
  const account = await findAccountRow(db, workspaceId, externalId);
  if (!account) throw new Error(`account ${externalId} vanished`);
  await upsertContact(
    db,
    account,
    "admin",
    { email: `admin@${externalId}.example`, name: "Admin San", role: "admin", locale: "en", attributes: {} },
    at,
  );
  const [enrollment] = await db
    .insert(enrollments)
    .values({
      workspaceId,
      journeyId: journey.id,
      journeyVersionId: journey.versionId,
      version: 1,
      accountId: account.id,
      entry: 1,
      workflowId: `round-trips-${randomUUID()}`,
      trigger: "manual",
      enteredAt: at,
    })
    .returning({ id: enrollments.id });
  if (!enrollment) throw new Error("no enrollment");
  return enrollment.id;
}

/** The interpreter's first transition of the journey: enter, send the welcome email, wait. */
function firstTransition(enrollmentId: string): TransitionInput {
  const at = new Date().toISOString();
  return {
    workspaceId,
    enrollmentId,
    transition: 1,
    at,
    commands: [
      {
        type: "send",
        channel: "email",
        stepId: "welcome",
        visit: 1,
        touchKey: "welcome:1",
        template: "onboarding-welcome",
        to: "role:admin",
      },
    ],
    trace: [
      { at, stepId: "welcome", kind: "entered", detail: {} },
      { at, stepId: "welcome", kind: "touch", detail: { template: "onboarding-welcome" } },
    ],
    status: "running",
    currentStep: "welcome",
  } as TransitionInput;
}

describe("the cost of a journey touch", () => {
  it(`sends one email to one contact in at most ${BOUND} database round trips`, async () => {
    // The first transition warms the connection (types, prepared statements), as a worker's are.
    await applyTransition(deps, firstTransition(await enrolledAccount("warm-up")), 1);
    const enrollmentId = await enrolledAccount("measured");

    counter.trips = 0;
    const result = await applyTransition(deps, firstTransition(enrollmentId), 1);
    const trips = counter.trips;

    const { db } = database;
    const [touch] = await db.select().from(touches).where(eq(touches.enrollmentId, enrollmentId));
    expect(result).toEqual({});
    expect(touch?.status).toBe("sent");
    expect(touch?.delivery).toMatchObject({ recipients: ["admin@measured.example"] });
    const sends = await db
      .select()
      .from(contactSends)
      .where(and(eq(contactSends.touchId, touch?.id ?? ""), eq(contactSends.status, "sent")));
    expect(sends).toHaveLength(1);
    const trace = await db
      .select()
      .from(enrollmentTrace)
      .where(eq(enrollmentTrace.enrollmentId, enrollmentId));
    expect(trace.map((t) => t.kind).sort()).toEqual(["entered", "sent", "touch"]);
    const [enrollment] = await db.select().from(enrollments).where(eq(enrollments.id, enrollmentId));
    expect(enrollment?.currentStep).toBe("welcome");
    console.info(`one touch: ${trips} round trips (${database.driver})`);
    expect(trips).toBeLessThanOrEqual(BOUND);
  });
});
