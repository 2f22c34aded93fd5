import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WorkflowHandle } from "@temporalio/client";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import type { Worker } from "@temporalio/worker";
import { asc, eq } from "drizzle-orm";
import { inject } from "vitest";
import { type AccountInput, findAccountRow } from "../apps/core/accounts/accounts";
import { upsertContact } from "../apps/core/accounts/contacts";
import { upsertAccount } from "../apps/core/accounts/save-account";
import { loadRenderer } from "../apps/core/delivery/render";
import type { RuntimeDeps } from "../apps/core/enrollments/runtime";
import { findJourneyRow, publishJourney, saveDraft } from "../apps/core/journeys/journeys";
import { systemClock } from "../apps/core/shared/services";
import { loadFileTemplates, loadPlaybooks } from "../apps/core/templates/files";
import { fileTemplateCatalog } from "../apps/core/templates/message-templates";
import { createWorkspace } from "../apps/core/workspace/api-keys";
import { createLogger } from "../apps/logger";
import { provisionTimeSkippingEnv } from "../apps/temporal/time-skipping";
import { createWorker } from "../apps/worker/worker";
import type { Database } from "../db/client";
import { enrollments, enrollmentTrace, touches } from "../db/schema";
import type { JourneyRunWorkflow } from "../workflows/contracts";
import { openTestDatabase } from "./test-database";

export const DAY = 86_400_000;

type Role = "admin" | "decision_maker" | "champion" | "user";

/** A test file's journey runtime on Temporal's time-skipping server: virtual months pass in seconds. */
export type TimeSkippingStack = {
  env: TestWorkflowEnvironment;
  database: Database;
  deps: RuntimeDeps;
  workspaceId: string;
  /** The virtual clock: advances when a test awaits a workflow result or calls `env.sleep`. */
  now(): Promise<Date>;
  /** Saves and publishes a journey under a key unique to the file; returns its id and key. */
  publish(definition: Record<string, unknown>): Promise<{ id: string; key: string }>;
  /** A playbook from templates/journeys, optionally with another trigger. */
  playbook(key: string, trigger?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Upserts an account owned by hanako@vendor.example with one contact per role; returns its id. */
  account(externalId: string, fields?: Partial<AccountInput>, roles?: Role[]): Promise<string>;
  handle(workflowId: string): WorkflowHandle<JourneyRunWorkflow>;
  enrollment(id: string): Promise<typeof enrollments.$inferSelect | undefined>;
  trace(enrollmentId: string): Promise<(typeof enrollmentTrace.$inferSelect)[]>;
  /** By touch key: the trace, not this table, says in which order they went out. */
  touches(enrollmentId: string): Promise<(typeof touches.$inferSelect)[]>;
  /**
   * Polls `probe`, letting `step` of virtual time pass between tries, until it returns a value; fails
   * after `maxSteps`. Time only skips on its own while a result is awaited, so waiting on a query or a
   * row moves the clock explicitly.
   */
  untilVirtual<T>(
    probe: () => Promise<T | undefined>,
    what: string,
    maxSteps?: number,
    step?: number,
  ): Promise<T>;
  /**
   * Writes a run's history (the latest, or `runId`) to tests/histories/<name>.json for the replay
   * guard, unless it exists.
   */
  recordHistory(name: string, workflowId: string, runId?: string): Promise<void>;
  close(): Promise<void>;
};

const historiesDir = new URL("./histories/", import.meta.url).pathname;

export async function startTimeSkippingStack(): Promise<TimeSkippingStack> {
  const env = await provisionTimeSkippingEnv({
    explicitPath: inject("testServerPath"),
    searchPath: inject("searchPath"),
    cacheDir: inject("cacheDir"),
  });
  const database = await openTestDatabase();
  const db = database.db;
  const outboxDir = await mkdtemp(join(tmpdir(), "volante-runtime-outbox-"));
  const fileTemplates = await loadFileTemplates();
  const catalog = fileTemplateCatalog(fileTemplates);
  const taskQueue = `runtime-time-skipping-${process.pid}`;
  const worker: Worker = await createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? "default",
    taskQueue,
    db,
    client: env.client,
    clock: systemClock,
    // The webhook receivers here listen on loopback.
    outbound: { allow: ["127.0.0.0/8", "::1"] },
    renderer: await loadRenderer(),
    log: createLogger("warn"),
    outboxDir,
    fileTemplates,
    publicUrl: "http://localhost:3000",
    workflowBundle: { codePath: inject("workflowBundlePath") },
  });
  const running = worker.run();
  const { workspaceId } = await createWorkspace(db, "Runtime on the time-skipping server");
  let keys = 0;

  const stack: TimeSkippingStack = {
    env,
    database,
    deps: { db, client: env.client, taskQueue, clock: systemClock },
    workspaceId,
    now: async () => new Date(await env.currentTimeMs()),

    async publish(definition) {
      const key = `${String(definition.key ?? "journey")}-${keys++}`;
      const saved = await saveDraft(db, workspaceId, key, { ...definition, key }, catalog, new Date());
      if (!saved.ok) throw new Error(`${key}: ${JSON.stringify(saved.problems)}`);
      const published = await publishJourney(db, workspaceId, key, catalog, new Date());
      if (!published.ok) throw new Error(`${key}: ${JSON.stringify(published.problems)}`);
      const row = await findJourneyRow(db, workspaceId, key);
      if (!row) throw new Error(`${key} vanished`);
      return { id: row.id, key };
    },

    async playbook(key, trigger) {
      const found = (await loadPlaybooks()).find((p) => p.key === key);
      if (!found) throw new Error(`no playbook ${key}`);
      const definition = found.definition as Record<string, unknown>;
      return trigger ? { ...definition, trigger } : definition;
    },

    async account(externalId, fields = {}, roles = ["admin"]) {
      await upsertAccount(
        db,
        workspaceId,
        externalId,
        {
          name: `${externalId} KK`,
          tier: "tech_touch",
          lifecycleStage: "adoption",
          licenses: 10,
          ownerCsm: "hanako@vendor.example",
          attributes: {},
          ...fields,
        },
        new Date(),
      );
      const account = await findAccountRow(db, workspaceId, externalId);
      if (!account) throw new Error(`account ${externalId} vanished`);
      for (const role of roles) {
        await upsertContact(
          db,
          account,
          role,
          {
            email: `${role}@${externalId}.example`,
            name: `${role} san`,
            role,
            locale: "en",
            attributes: {},
          },
          new Date(),
        );
      }
      return account.id;
    },

    handle: (workflowId) => env.client.workflow.getHandle<JourneyRunWorkflow>(workflowId),

    async enrollment(id) {
      const [row] = await db.select().from(enrollments).where(eq(enrollments.id, id));
      return row;
    },

    trace: (enrollmentId) =>
      db
        .select()
        .from(enrollmentTrace)
        .where(eq(enrollmentTrace.enrollmentId, enrollmentId))
        .orderBy(asc(enrollmentTrace.transition), asc(enrollmentTrace.position)),

    touches: (enrollmentId) =>
      db.select().from(touches).where(eq(touches.enrollmentId, enrollmentId)).orderBy(asc(touches.touchKey)),

    async untilVirtual(probe, what, maxSteps = 200, step = DAY) {
      for (let i = 0; i <= maxSteps; i++) {
        const value = await probe();
        if (value !== undefined) return value;
        await env.sleep(step);
      }
      throw new Error(`no ${what} after ${maxSteps} virtual steps of ${step} ms`);
    },

    async recordHistory(name, workflowId, runId) {
      const file = join(historiesDir, `${name}.json`);
      // Recorded once and committed: a history must keep replaying after later workflow changes.
      if (await stat(file).catch(() => null)) return;
      await mkdir(historiesDir, { recursive: true });
      const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      await writeFile(file, JSON.stringify(history));
    },

    async close() {
      worker.shutdown();
      await running;
      await env.teardown();
      await database.close();
      await rm(outboxDir, { recursive: true, force: true });
    },
  };
  return stack;
}
