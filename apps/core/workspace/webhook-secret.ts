import { randomBytes } from "node:crypto";
import { and, desc, eq, gt, isNull, lte, or } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { webhookSecrets, workspaces } from "../../../db/schema/index";
import type { Services } from "../shared/services";

/**
 * The workspace's webhook signing secret (Standard Webhooks). It is read from the database by the
 * activity that signs, so it never enters a workflow history, and it is shown once, when rotated.
 */

/** How long a rotated secret keeps signing beside the new one, so receivers can switch over. */
export const ROTATION_GRACE_MS = 24 * 60 * 60 * 1000;

export const WebhookSecretStatus = z
  .object({
    set: z.boolean().meta({ description: "Whether webhooks are signed with a secret yet" }),
    createdAt: z.string().nullable().meta({ description: "When the current secret was made" }),
  })
  .meta({ id: "WebhookSecretStatus" });

export const RotatedWebhookSecret = z
  .object({
    secret: z.string().meta({
      description: "The new signing secret, shown this once; verify with the `standardwebhooks` package",
      example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }),
    createdAt: z.string(),
    previousValidUntil: z
      .string()
      .nullable()
      .meta({ description: "Until then webhooks also carry a signature with the previous secret" }),
  })
  .meta({ id: "RotatedWebhookSecret" });
export type RotatedWebhookSecret = z.infer<typeof RotatedWebhookSecret>;

/** `whsec_` and 32 random bytes in base64, the format the Standard Webhooks libraries read. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/**
 * The secrets to sign with now, current first: the current one (made on first use, so every webhook
 * is signed) and any rotated one still in its grace period.
 */
export async function signingSecrets(
  deps: Pick<Services, "db" | "clock">,
  workspaceId: string,
): Promise<string[]> {
  const now = deps.clock.now();
  const live = () =>
    deps.db
      .select({ secret: webhookSecrets.secret, retiresAt: webhookSecrets.retiresAt })
      .from(webhookSecrets)
      .where(
        and(
          eq(webhookSecrets.workspaceId, workspaceId),
          or(isNull(webhookSecrets.retiresAt), gt(webhookSecrets.retiresAt, now)),
        ),
      )
      .orderBy(desc(webhookSecrets.createdAt));
  let rows = await live();
  if (!rows.some((r) => r.retiresAt === null)) {
    // Two first webhooks at once: the partial unique index keeps one current secret.
    await deps.db
      .insert(webhookSecrets)
      .values({ workspaceId, secret: newSecret(), createdAt: now, updatedAt: now })
      .onConflictDoNothing();
    rows = await live();
  }
  return rows
    .sort((a, b) => Number(a.retiresAt !== null) - Number(b.retiresAt !== null))
    .map((r) => r.secret);
}

/** Whether the workspace has a current secret, and since when; never the secret. */
export async function webhookSecretStatus(
  db: Db,
  workspaceId: string,
): Promise<z.infer<typeof WebhookSecretStatus>> {
  const [row] = await db
    .select({ createdAt: webhookSecrets.createdAt })
    .from(webhookSecrets)
    .where(and(eq(webhookSecrets.workspaceId, workspaceId), isNull(webhookSecrets.retiresAt)));
  return { set: row !== undefined, createdAt: row?.createdAt.toISOString() ?? null };
}

/**
 * Makes a new current secret and returns it (the only time it is shown). The previous one keeps
 * signing for `ROTATION_GRACE_MS`; secrets already past their grace are deleted.
 */
export async function rotateWebhookSecret(
  deps: Pick<Services, "db" | "clock">,
  workspaceId: string,
): Promise<RotatedWebhookSecret> {
  const now = deps.clock.now();
  const retiresAt = new Date(now.getTime() + ROTATION_GRACE_MS);
  const secret = newSecret();
  const retired = await deps.db.transaction(async (tx) => {
    // Two rotations at once take turns, so each finds exactly one current secret.
    await tx
      .select({ id: workspaces.id })
      .from(workspaces)
      .where(eq(workspaces.id, workspaceId))
      .for("update");
    await tx
      .delete(webhookSecrets)
      .where(and(eq(webhookSecrets.workspaceId, workspaceId), lte(webhookSecrets.retiresAt, now)));
    const previous = await tx
      .update(webhookSecrets)
      .set({ retiresAt, updatedAt: now })
      .where(and(eq(webhookSecrets.workspaceId, workspaceId), isNull(webhookSecrets.retiresAt)))
      .returning({ id: webhookSecrets.id });
    await tx.insert(webhookSecrets).values({ workspaceId, secret, createdAt: now, updatedAt: now });
    return previous.length > 0;
  });
  return {
    secret,
    createdAt: now.toISOString(),
    previousValidUntil: retired ? retiresAt.toISOString() : null,
  };
}
