import { createHash, randomBytes } from "node:crypto";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { builtOnce, type Db } from "../../../db/client";
import { apiKeys, workspaces } from "../../../db/schema/index";
import type { Role } from "./roles";

const KEY_PREFIX = "vk_";
/** Key and workspace ids; anything else names none (and is never sent to a uuid column). */
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A new secret API key; shown to its owner once, stored only as a hash. */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(24).toString("base64url");
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export type KeyOwner = { workspaceId: string; keyId: string; role: Role };

/** Every authenticated request asks it: built and prepared once. */
const keyOwnerQuery = builtOnce((db) =>
  db
    .select({ workspaceId: apiKeys.workspaceId, keyId: apiKeys.id, role: apiKeys.role })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, sql.placeholder("keyHash")), isNull(apiKeys.revokedAt)))
    .limit(1)
    .prepare("api_key_owner"),
);

/** The workspace a presented key belongs to, or null when it is unknown or revoked. */
export async function findKeyOwner(db: Db, presentedKey: string): Promise<KeyOwner | null> {
  const [row] = await keyOwnerQuery(db).execute({ keyHash: hashApiKey(presentedKey) });
  return row ?? null;
}

export type CreatedWorkspace = { workspaceId: string; apiKey: string };

/** Creates a workspace with an admin key; the clear key is only in the return value. */
export async function createWorkspace(
  db: Db,
  name: string,
  apiKey = generateApiKey(),
): Promise<CreatedWorkspace> {
  return db.transaction(async (tx) => {
    const [workspace] = await tx.insert(workspaces).values({ name }).returning({ id: workspaces.id });
    if (!workspace) throw new Error("workspace insert returned nothing");
    await addApiKey(tx as unknown as Db, workspace.id, "admin", apiKey);
    return { workspaceId: workspace.id, apiKey };
  });
}

export type EnsuredWorkspace =
  | { ok: true; workspaceId: string; created: boolean; attached: boolean }
  | { ok: false; reason: string };

/**
 * Makes sure a workspace answers to this key (VOLANTE_API_KEY): the workspace that has it; else the
 * only workspace there is (the key is added to it, say after a first start without the variable);
 * else a new one. A revoked key is refused, never brought back.
 */
export async function ensureWorkspaceForKey(
  db: Db,
  apiKey: string,
  name = "Default",
): Promise<EnsuredWorkspace> {
  const [known] = await db
    .select({ workspaceId: apiKeys.workspaceId, revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .where(eq(apiKeys.keyHash, hashApiKey(apiKey)));
  if (known?.revokedAt) {
    return {
      ok: false,
      reason: `VOLANTE_API_KEY is a key that was revoked on ${known.revokedAt.toISOString()}; set another key (or unset the variable to use the workspace's other keys).`,
    };
  }
  if (known) return { ok: true, workspaceId: known.workspaceId, created: false, attached: false };
  const existing = await db.select({ id: workspaces.id }).from(workspaces).limit(2);
  const [only] = existing;
  if (only && existing.length === 1) {
    await addApiKey(db, only.id, "VOLANTE_API_KEY", apiKey);
    return { ok: true, workspaceId: only.id, created: false, attached: true };
  }
  const created = await createWorkspace(db, name, apiKey);
  return { ok: true, workspaceId: created.workspaceId, created: true, attached: false };
}

/** Adds a key to a workspace; the clear key is only in the return value. */
export async function addApiKey(
  db: Db,
  workspaceId: string,
  name: string,
  apiKey = generateApiKey(),
  role: Role = "admin",
): Promise<{ keyId: string; apiKey: string }> {
  const [row] = await db
    .insert(apiKeys)
    .values({
      workspaceId,
      name,
      role,
      keyHash: hashApiKey(apiKey),
      keyPrefix: apiKey.slice(0, KEY_PREFIX.length + 4),
    })
    .returning({ id: apiKeys.id });
  if (!row) throw new Error("api key insert returned nothing");
  return { keyId: row.id, apiKey };
}

/**
 * `volante keys create`: adds a key to the workspace named, or to the only workspace there is. The
 * clear key is only in the return value; without a workspace to choose, says why.
 */
export async function createKey(
  db: Db,
  name: string,
  workspaceId?: string,
  role: Role = "admin",
): Promise<{ ok: true; workspaceId: string; keyId: string; apiKey: string } | { ok: false; reason: string }> {
  if (workspaceId !== undefined && !uuid.test(workspaceId))
    return { ok: false, reason: `no workspace ${workspaceId}` };
  const ids = (
    await db
      .select({ id: workspaces.id })
      .from(workspaces)
      .where(workspaceId ? eq(workspaces.id, workspaceId) : undefined)
      .limit(2)
  ).map((w) => w.id);
  const [target] = ids;
  if (!target || ids.length > 1) {
    const reason = target
      ? "more than one workspace"
      : workspaceId
        ? `no workspace ${workspaceId}`
        : "no workspace yet";
    return { ok: false, reason };
  }
  const { keyId, apiKey } = await addApiKey(db, target, name, undefined, role);
  return { ok: true, workspaceId: target, keyId, apiKey };
}

export type ApiKeyInfo = {
  id: string;
  workspaceId: string;
  workspace: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
};

/** Every key (never the secret), oldest first, optionally of one workspace. */
export async function listApiKeys(db: Db, workspaceId?: string): Promise<ApiKeyInfo[]> {
  if (workspaceId !== undefined && !uuid.test(workspaceId)) return [];
  return db
    .select({
      id: apiKeys.id,
      workspaceId: apiKeys.workspaceId,
      workspace: workspaces.name,
      name: apiKeys.name,
      role: apiKeys.role,
      prefix: apiKeys.keyPrefix,
      createdAt: apiKeys.createdAt,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .innerJoin(workspaces, eq(workspaces.id, apiKeys.workspaceId))
    .where(workspaceId ? eq(apiKeys.workspaceId, workspaceId) : undefined)
    .orderBy(asc(apiKeys.createdAt));
}

/**
 * Revokes a key named by its id or by the key itself. Returns what was revoked, or why nothing was.
 */
export async function revokeKey(
  db: Db,
  keyOrId: string,
  at: Date,
): Promise<{ ok: true; keyId: string; workspaceId: string } | { ok: false; reason: string }> {
  const byId = uuid.test(keyOrId);
  const [key] = await db
    .select({ id: apiKeys.id, workspaceId: apiKeys.workspaceId, revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .where(byId ? eq(apiKeys.id, keyOrId) : eq(apiKeys.keyHash, hashApiKey(keyOrId)));
  if (!key) return { ok: false, reason: "no such key" };
  if (key.revokedAt) return { ok: false, reason: `already revoked on ${key.revokedAt.toISOString()}` };
  await revokeApiKey(db, key.workspaceId, key.id, at);
  return { ok: true, keyId: key.id, workspaceId: key.workspaceId };
}

export async function countWorkspaces(db: Db): Promise<number> {
  return db.$count(workspaces);
}

export async function revokeApiKey(db: Db, workspaceId: string, keyId: string, at: Date): Promise<boolean> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.workspaceId, workspaceId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}
