import type { Client } from "@temporalio/client";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollMany } from "../apps/core/enrollments/enroll";
import type { RuntimeDeps } from "../apps/core/enrollments/runtime";
import { enrollAccountsWhereTriggered } from "../apps/core/enrollments/triggers";
import { findJourneyRow, publishJourney, saveDraft } from "../apps/core/journeys/journeys";
import { systemClock } from "../apps/core/shared/services";
import { loadFileTemplates, loadPlaybooks } from "../apps/core/templates/files";
import { fileTemplateCatalog } from "../apps/core/templates/message-templates";
import { createWorkspace } from "../apps/core/workspace/api-keys";
import type { Database, Db } from "../db/client";
import * as schema from "../db/schema";
import { journeyWorkflowId } from "../workflows/contracts";
import { openTestDatabase } from "./test-database";

// Enrolling N accounts costs a constant number of statements per batch of accounts; the runs start
// one per account. Temporal is a stub here: what is counted is the database's part.

let database: Database;
let counted: Db;
let closeCounted = async () => {};
let statements = 0;
let started: string[] = [];
let workspaceId: string;
let journey: { id: string; key: string };

const client = {
  workflow: {
    start: async (_workflow: unknown, options: { workflowId: string }) => {
      started.push(options.workflowId);
    },
  },
} as unknown as Client;

const deps = (): RuntimeDeps => ({ db: counted, client, taskQueue: "fan-out", clock: systemClock });

async function accounts(count: number, prefix: string): Promise<{ id: string; externalId: string }[]> {
  const rows = await database.db
    .insert(schema.accounts)
    .values(
      Array.from({ length: count }, (_, i) => ({
        workspaceId,
        externalId: `${prefix}-${i}`,
        name: `${prefix} ${i}`,
        lifecycleStage: "adoption" as const,
      })),
    )
    .returning({ id: schema.accounts.id, externalId: schema.accounts.externalId });
  return rows;
}

beforeAll(async () => {
  database = await openTestDatabase();
  const logger = { logQuery: () => void statements++ };
  if (database.pglite) {
    counted = drizzlePglite(database.pglite, { schema, casing: "snake_case", logger }) as unknown as Db;
  } else {
    const sql = postgres(database.url ?? "", { max: 2, onnotice: () => {} });
    counted = drizzlePostgres(sql, { schema, casing: "snake_case", logger }) as unknown as Db;
    closeCounted = () => sql.end({ timeout: 5 });
  }
  ({ workspaceId } = await createWorkspace(database.db, "Set-based fan-out"));
  const playbook = (await loadPlaybooks()).find((p) => p.key === "adoption-feature-breadth");
  if (!playbook) throw new Error("no adoption playbook");
  const catalog = fileTemplateCatalog(await loadFileTemplates());
  const key = `fan-out-${Date.now()}`;
  const definition = { ...(playbook.definition as Record<string, unknown>), key };
  const saved = await saveDraft(database.db, workspaceId, key, definition, catalog, new Date());
  if (!saved.ok) throw new Error(JSON.stringify(saved.problems));
  const published = await publishJourney(database.db, workspaceId, key, catalog, new Date());
  if (!published.ok) throw new Error(JSON.stringify(published.problems));
  const row = await findJourneyRow(database.db, workspaceId, key);
  if (!row) throw new Error("journey vanished");
  journey = { id: row.id, key };
});

afterAll(async () => {
  await closeCounted();
  await database?.close();
});

describe("set-based trigger fan-out", () => {
  it("enrolls 1,200 accounts with a constant number of statements per batch, one run each with its deterministic id", async () => {
    const many = await accounts(1200, "many");
    statements = 0;
    started = [];
    const enrolled = await enrollAccountsWhereTriggered(
      deps(),
      workspaceId,
      many.map((a) => a.id),
      { type: "stage_entered", stage: "adoption" },
      "stage_entered:adoption",
    );
    expect(enrolled).toBe(1200);
    // Matching journeys, the journey and its version once; per batch of 500: accounts, past
    // enrollments, enrollments, listeners. Per account it would be thousands.
    expect(statements).toBeLessThanOrEqual(3 + 3 * 4);
    expect(started.toSorted()).toEqual(
      many.map((a) => journeyWorkflowId(workspaceId, journey.key, a.externalId, 1)).toSorted(),
    );

    // The same trigger again: every account is already enrolled, nothing starts.
    statements = 0;
    started = [];
    const again = await enrollAccountsWhereTriggered(
      deps(),
      workspaceId,
      many.map((a) => a.id),
      { type: "stage_entered", stage: "adoption" },
      "stage_entered:adoption",
    );
    expect(again).toBe(0);
    expect(started).toEqual([]);
    expect(statements).toBeLessThanOrEqual(3 + 3 * 2);
  });

  it("gives one outcome per account id in order: an account named twice enters once", async () => {
    const [one, two] = await accounts(2, "twice");
    if (!one || !two) throw new Error("no accounts");
    started = [];
    const outcomes = await enrollMany(deps(), {
      workspaceId,
      journeyId: journey.id,
      accountIds: [one.id, two.id, one.id, "00000000-0000-4000-8000-000000000000"],
      trigger: "manual",
    });
    expect(outcomes.map((o) => (o.enrolled ? o.enrollment.account : o.code))).toEqual([
      one.externalId,
      two.externalId,
      "duplicate",
      "not_found",
    ]);
    expect(started).toHaveLength(2);
  });
});
