import { createHash } from "node:crypto";
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { journeyStatuses, journeys, journeyVersions } from "../../../db/schema/index";
import { JourneyDefinition } from "../../../workflows/journey/schema";
import {
  type TemplateLookup,
  type ValidationProblem,
  validateJourney,
} from "../../../workflows/journey/validate";
import type { Refusal } from "../shared/refusal";
import { documentedAsJourneyDefinition } from "../shared/validators";

export const JourneyStatus = z.enum(journeyStatuses).meta({ id: "JourneyStatus" });

export const Problem = z.object({ pointer: z.string(), message: z.string(), rule: z.string() });

export const Journey = z
  .object({
    key: z.string(),
    name: z.string(),
    status: JourneyStatus,
    latestVersion: z.number().int().nullable(),
    draft: z.record(z.string(), z.unknown()).meta({
      description:
        "The definition as last saved: a JourneyDefinition, possibly incomplete (what is missing or wrong is in `problems`)",
    }),
    problems: z.array(Problem).meta({ description: "What publishing the draft would refuse, with pointers" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "Journey" });
export type Journey = z.infer<typeof Journey>;

export const JourneyVersion = z
  .object({
    key: z.string(),
    version: z.number().int(),
    checksum: z.string(),
    publishedAt: z.string(),
    definition: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ ...documentedAsJourneyDefinition, description: "The frozen definition, defaults applied" }),
  })
  .meta({ id: "JourneyVersion" });
export type JourneyVersion = z.infer<typeof JourneyVersion>;

type JourneyRow = typeof journeys.$inferSelect;

/** Canonical JSON (keys sorted at every depth), so equal definitions always hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function checksumOf(definition: unknown): string {
  return createHash("sha256").update(canonicalJson(definition)).digest("hex");
}

function toJourney(row: JourneyRow, problems: ValidationProblem[]): Journey {
  return {
    key: row.key,
    name: row.name,
    status: row.status,
    latestVersion: row.latestVersion,
    draft: row.draft,
    problems,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export type SaveDraftResult =
  | { ok: true; journey: Journey; created: boolean }
  | {
      ok: false;
      refusal: "conflict" | "invalid";
      problems: { pointer: string; message: string }[];
      detail: string;
    };

/**
 * Saves a draft. Refused (422) only when the draft is not even shaped like a journey; semantic problems
 * are returned with it, for the author to fix before publishing.
 */
export async function saveDraft(
  db: Db,
  workspaceId: string,
  key: string,
  input: unknown,
  templates: TemplateLookup,
  at: Date,
): Promise<SaveDraftResult> {
  const withKey = input && typeof input === "object" && !Array.isArray(input) ? { key, ...input } : input;
  const shape = JourneyDefinition.safeParse(withKey);
  if (!shape.success) {
    const validation = validateJourney(withKey, templates);
    return {
      ok: false,
      refusal: "invalid",
      problems: validation.problems,
      detail: "The draft is not shaped like a journey.",
    };
  }
  if ((withKey as { key: string }).key !== key) {
    return {
      ok: false,
      refusal: "invalid",
      problems: [{ pointer: "/key", message: `must be "${key}", the key in the URL` }],
      detail: "The key in the body differs from the URL.",
    };
  }
  const draft = withKey as Record<string, unknown>;
  const [existing] = await db
    .select()
    .from(journeys)
    .where(and(eq(journeys.workspaceId, workspaceId), eq(journeys.key, key)));
  if (existing?.status === "archived") {
    return {
      ok: false,
      refusal: "conflict",
      problems: [],
      detail: `Journey "${key}" is archived; use another key.`,
    };
  }
  const [row] = await db
    .insert(journeys)
    .values({ workspaceId, key, name: shape.data.name, draft })
    .onConflictDoUpdate({
      target: [journeys.workspaceId, journeys.key],
      set: { name: shape.data.name, draft, updatedAt: at },
    })
    .returning();
  if (!row) throw new Error("journey upsert returned nothing");
  return {
    ok: true,
    journey: toJourney(row, validateJourney(draft, templates).problems),
    created: !existing,
  };
}

/** The journey row, locked until the transaction ends (publish and status changes serialise on it). */
async function lockJourney(tx: Db, workspaceId: string, key: string): Promise<JourneyRow | undefined> {
  const [row] = await tx
    .select()
    .from(journeys)
    .where(and(eq(journeys.workspaceId, workspaceId), eq(journeys.key, key)))
    .for("update");
  return row;
}

export async function findJourneyRow(db: Db, workspaceId: string, key: string): Promise<JourneyRow | null> {
  const [row] = await db
    .select()
    .from(journeys)
    .where(and(eq(journeys.workspaceId, workspaceId), eq(journeys.key, key)));
  return row ?? null;
}

export async function getJourney(
  db: Db,
  workspaceId: string,
  key: string,
  templates: TemplateLookup,
): Promise<Journey | null> {
  const row = await findJourneyRow(db, workspaceId, key);
  return row ? toJourney(row, validateJourney(row.draft, templates).problems) : null;
}

export async function listJourneys(db: Db, workspaceId: string) {
  const rows = await db
    .select()
    .from(journeys)
    .where(eq(journeys.workspaceId, workspaceId))
    .orderBy(asc(journeys.key));
  return rows.map((r) => ({
    key: r.key,
    name: r.name,
    status: r.status,
    latestVersion: r.latestVersion,
    updatedAt: r.updatedAt.toISOString(),
  }));
}

export type PublishResult =
  | { ok: true; version: JourneyVersion; created: boolean }
  | { ok: false; refusal: Refusal; problems: ValidationProblem[]; detail: string };

/**
 * Validates the draft and freezes it as version n+1. Publishing an unchanged draft returns the
 * version it already is, so a retried publish never makes a duplicate.
 */
export async function publishJourney(
  db: Db,
  workspaceId: string,
  key: string,
  templates: TemplateLookup,
  at: Date,
): Promise<PublishResult> {
  return db.transaction(async (tx) => {
    const row = await lockJourney(tx, workspaceId, key);
    if (!row) return { ok: false, refusal: "not_found", problems: [], detail: `No journey "${key}".` };
    if (row.status === "archived")
      return { ok: false, refusal: "conflict", problems: [], detail: `Journey "${key}" is archived.` };
    const validation = validateJourney(row.draft, templates);
    if (!validation.ok) {
      return {
        ok: false,
        refusal: "invalid",
        problems: validation.problems,
        detail: "The draft has problems; nothing was published.",
      };
    }
    const definition = validation.journey as unknown as Record<string, unknown>;
    const checksum = checksumOf(definition);
    const [latest] = await tx
      .select()
      .from(journeyVersions)
      .where(eq(journeyVersions.journeyId, row.id))
      .orderBy(desc(journeyVersions.version))
      .limit(1);
    if (latest && latest.checksum === checksum) {
      return { ok: true, created: false, version: toVersion(key, latest, false) };
    }
    const version = (latest?.version ?? 0) + 1;
    const [inserted] = await tx
      .insert(journeyVersions)
      .values({ workspaceId, journeyId: row.id, version, definition, checksum })
      .returning();
    if (!inserted) throw new Error("version insert returned nothing");
    await tx
      .update(journeys)
      .set({
        latestVersion: version,
        status: row.status === "draft" ? "active" : row.status,
        updatedAt: at,
      })
      .where(eq(journeys.id, row.id));
    return { ok: true, created: true, version: toVersion(key, inserted, false) };
  });
}

function toVersion(
  key: string,
  row: typeof journeyVersions.$inferSelect,
  withDefinition: boolean,
): JourneyVersion {
  return {
    key,
    version: row.version,
    checksum: row.checksum,
    publishedAt: row.publishedAt.toISOString(),
    ...(withDefinition ? { definition: row.definition } : {}),
  };
}

export async function listVersions(
  db: Db,
  workspaceId: string,
  key: string,
): Promise<JourneyVersion[] | null> {
  const row = await findJourneyRow(db, workspaceId, key);
  if (!row) return null;
  const rows = await db
    .select()
    .from(journeyVersions)
    .where(eq(journeyVersions.journeyId, row.id))
    .orderBy(asc(journeyVersions.version));
  return rows.map((v) => toVersion(key, v, false));
}

/** One published version with its frozen definition; `version` omitted means the latest. */
export async function getVersion(
  db: Db,
  workspaceId: string,
  key: string,
  version?: number,
): Promise<(JourneyVersion & { definition: Record<string, unknown> }) | null> {
  const [row] = await db
    .select({ v: journeyVersions })
    .from(journeyVersions)
    .innerJoin(journeys, eq(journeys.id, journeyVersions.journeyId))
    .where(
      and(
        eq(journeys.workspaceId, workspaceId),
        eq(journeys.key, key),
        version === undefined ? sql`true` : eq(journeyVersions.version, version),
      ),
    )
    .orderBy(desc(journeyVersions.version))
    .limit(1);
  if (!row) return null;
  return { ...toVersion(key, row.v, true), definition: row.v.definition };
}

const transitions = {
  pause: { from: ["active"], to: "paused" },
  resume: { from: ["paused"], to: "active" },
  archive: { from: ["draft", "active", "paused"], to: "archived" },
} as const;

export type JourneyAction = keyof typeof transitions;

export type TransitionResult =
  | { ok: true; journey: JourneyRow; changed: boolean }
  | { ok: false; refusal: "not_found" | "conflict"; detail: string };

/** pause / resume / archive, refusing transitions that make no sense (a conflict). */
export async function transitionJourney(
  db: Db,
  workspaceId: string,
  key: string,
  action: JourneyAction,
  at: Date,
): Promise<TransitionResult> {
  const rule = transitions[action];
  return db.transaction(async (tx) => {
    const row = await lockJourney(tx, workspaceId, key);
    if (!row) return { ok: false, refusal: "not_found", detail: `No journey "${key}".` };
    if (row.status === rule.to) return { ok: true, journey: row, changed: false };
    if (!(rule.from as readonly string[]).includes(row.status)) {
      return { ok: false, refusal: "conflict", detail: `Cannot ${action} a journey that is ${row.status}.` };
    }
    const [updated] = await tx
      .update(journeys)
      .set({
        status: rule.to,
        ...(action === "archive" ? { archivedAt: at } : {}),
        updatedAt: at,
      })
      .where(eq(journeys.id, row.id))
      .returning();
    if (!updated) throw new Error("journey update returned nothing");
    return { ok: true, journey: updated, changed: true };
  });
}

export function journeySummary(row: JourneyRow) {
  return { key: row.key, name: row.name, status: row.status, latestVersion: row.latestVersion };
}
