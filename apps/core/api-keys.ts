import { createHash, randomBytes } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../../db/client";
import { apiKeys, workspaces } from "../../db/schema";

const KEY_PREFIX = "vk_";

/** A new secret API key; shown to its owner once, stored only as a hash. */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(24).toString("base64url");
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export type KeyOwner = { workspaceId: string; keyId: string };

/** The workspace a presented key belongs to, or null when it is unknown or revoked. */
export async function findKeyOwner(db: Db, presentedKey: string): Promise<KeyOwner | null> {
  const [row] = await db
    .select({ workspaceId: apiKeys.workspaceId, keyId: apiKeys.id })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hashApiKey(presentedKey)), isNull(apiKeys.revokedAt)))
    .limit(1);
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
    await tx.insert(apiKeys).values({
      workspaceId: workspace.id,
      name: "admin",
      keyHash: hashApiKey(apiKey),
      keyPrefix: apiKey.slice(0, KEY_PREFIX.length + 4),
    });
    return { workspaceId: workspace.id, apiKey };
  });
}

export type EnsuredWorkspace = { workspaceId: string; created: boolean };

/** Makes sure a workspace answers to this key (VOLANTE_API_KEY), creating one the first time. */
export async function ensureWorkspaceForKey(
  db: Db,
  apiKey: string,
  name = "Default",
): Promise<EnsuredWorkspace> {
  const owner = await findKeyOwner(db, apiKey);
  if (owner) return { workspaceId: owner.workspaceId, created: false };
  const created = await createWorkspace(db, name, apiKey);
  return { workspaceId: created.workspaceId, created: true };
}

export async function countWorkspaces(db: Db): Promise<number> {
  return db.$count(workspaces);
}

export async function revokeApiKey(db: Db, workspaceId: string, keyId: string): Promise<boolean> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.workspaceId, workspaceId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}
