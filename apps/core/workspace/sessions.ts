import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull, ne, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { csms, sessions, users, workspaces } from "../../../db/schema/index";
import type { Clock } from "../shared/services";
import { DUMMY_HASH, hashPassword, verifyPassword } from "./passwords";
import type { Role } from "./roles";
import { settingsOf } from "./settings";

/** How long a console sign-in lasts, an invitation link, and a password reset link. */
export const SESSION_DAYS = 14;
export const INVITATION_DAYS = 7;
export const PASSWORD_RESET_HOURS = 1;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** The single-use links that set a password: an invitation, or a reset the person asked for. */
type LinkKind = "invitation" | "password_reset";

/** Who a console request comes from. */
export type SignedIn = {
  sessionId: string;
  userId: string;
  workspaceId: string;
  workspace: string;
  email: string;
  name: string;
  role: Role;
  locale: string | null;
  /** The zone the console shows times in: the person's own as a CSM, else the workspace's default. */
  timeZone: string;
};

function newToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, tokenHash: hashToken(token) };
}

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Email and password → a new session, or null. Every enabled account with that address is tried (an
 * address may be a person in two workspaces); the first whose password matches wins. Unknown
 * addresses cost one scrypt too, so timing does not tell which addresses exist.
 */
export async function signIn(
  deps: { db: Db; clock: Clock },
  email: string,
  password: string,
): Promise<{ token: string; userId: string; expiresAt: Date } | null> {
  const candidates = await deps.db
    .select({ id: users.id, passwordHash: users.passwordHash })
    .from(users)
    .where(and(eq(users.email, email.trim().toLowerCase()), eq(users.disabled, false)))
    .orderBy(users.createdAt)
    .limit(5);
  const withPassword = candidates.filter((u) => u.passwordHash);
  if (withPassword.length === 0) {
    await verifyPassword(password, DUMMY_HASH);
    return null;
  }
  for (const user of withPassword) {
    if (await verifyPassword(password, user.passwordHash as string)) {
      return { ...(await openSession(deps, user.id, "session", SESSION_DAYS * DAY_MS)), userId: user.id };
    }
  }
  return null;
}

async function openSession(
  deps: { db: Db; clock: Clock },
  userId: string,
  kind: "session" | LinkKind,
  lifetimeMs: number,
): Promise<{ token: string; expiresAt: Date }> {
  const { token, tokenHash } = newToken();
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + lifetimeMs);
  await deps.db
    .insert(sessions)
    .values({ userId, kind, tokenHash, createdAt: now, lastSeenAt: now, expiresAt });
  return { token, expiresAt };
}

/** The live session a cookie names (not expired, not revoked, its person enabled), seen now. */
export async function findSession(deps: { db: Db; clock: Clock }, token: string): Promise<SignedIn | null> {
  const now = deps.clock.now();
  const [row] = await deps.db
    .select({
      sessionId: sessions.id,
      lastSeenAt: sessions.lastSeenAt,
      userId: users.id,
      workspaceId: users.workspaceId,
      workspace: workspaces.name,
      email: users.email,
      name: users.name,
      role: users.role,
      locale: users.locale,
      csmZone: csms.timezone,
      settings: workspaces.settings,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(workspaces, eq(workspaces.id, users.workspaceId))
    // A CSM's address is kept as given; a person's in lower case.
    .leftJoin(csms, and(eq(csms.workspaceId, users.workspaceId), sql`lower(${csms.email}) = ${users.email}`))
    .where(
      and(
        eq(sessions.tokenHash, hashToken(token)),
        eq(sessions.kind, "session"),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
        eq(users.disabled, false),
      ),
    );
  if (!row) return null;
  // Written at most once a minute: a page of htmx requests is not a burst of updates.
  if (now.getTime() - row.lastSeenAt.getTime() > 60_000)
    await deps.db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, row.sessionId));
  const { lastSeenAt: _, csmZone, settings, ...signedIn } = row;
  return { ...signedIn, timeZone: csmZone ?? settingsOf(settings).delivery.defaultTimezone };
}

export async function signOut(deps: { db: Db; clock: Clock }, sessionId: string): Promise<void> {
  await deps.db
    .update(sessions)
    .set({ revokedAt: deps.clock.now() })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

/** Signs the person out of every browser (and voids their open invitation links). */
export async function signOutEverywhere(deps: { db: Db; clock: Clock }, userId: string): Promise<number> {
  const revoked = await deps.db
    .update(sessions)
    .set({ revokedAt: deps.clock.now() })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return revoked.length;
}

/** Signs the person out of every other browser (and voids their open links), keeping this session. */
export async function signOutOthers(
  deps: { db: Db; clock: Clock },
  userId: string,
  keepSessionId: string,
): Promise<number> {
  const revoked = await deps.db
    .update(sessions)
    .set({ revokedAt: deps.clock.now() })
    .where(and(eq(sessions.userId, userId), ne(sessions.id, keepSessionId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return revoked.length;
}

/** A single-use link token that lets the person set a password. */
export async function createInvitation(
  deps: { db: Db; clock: Clock },
  userId: string,
): Promise<{ token: string; expiresAt: Date }> {
  return openSession(deps, userId, "invitation", INVITATION_DAYS * DAY_MS);
}

/** A single-use link token, good for an hour, that lets a person who forgot their password set a new one. */
export async function createPasswordReset(
  deps: { db: Db; clock: Clock },
  userId: string,
): Promise<{ token: string; expiresAt: Date }> {
  return openSession(deps, userId, "password_reset", PASSWORD_RESET_HOURS * HOUR_MS);
}

/** Whether a link token of that kind is still good (for its set-password page), and whose it is. */
async function findLink(
  deps: { db: Db; clock: Clock },
  token: string,
  kind: LinkKind,
): Promise<{ linkId: string; userId: string; email: string } | null> {
  const [row] = await deps.db
    .select({ linkId: sessions.id, userId: users.id, email: users.email })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.tokenHash, hashToken(token)),
        eq(sessions.kind, kind),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, deps.clock.now()),
        eq(users.disabled, false),
      ),
    );
  return row ?? null;
}

/** Whether an invitation token is still good (for the set-password page), and whose it is. */
export async function findInvitation(
  deps: { db: Db; clock: Clock },
  token: string,
): Promise<{ invitationId: string; userId: string; email: string } | null> {
  const link = await findLink(deps, token, "invitation");
  return link && { invitationId: link.linkId, userId: link.userId, email: link.email };
}

/** Whether a password reset token is still good (for the new-password page), and whose it is. */
export async function findPasswordReset(
  deps: { db: Db; clock: Clock },
  token: string,
): Promise<{ userId: string; email: string } | null> {
  const link = await findLink(deps, token, "password_reset");
  return link && { userId: link.userId, email: link.email };
}

/**
 * Sets the password a link asked for and uses the link up, in one transaction: the revocation is
 * conditional, so two submissions of one link set one password. A reset also ends every session
 * of the person (whoever knew the old password is out).
 */
async function useLink(
  deps: { db: Db; clock: Clock },
  token: string,
  kind: LinkKind,
  password: string,
): Promise<{ ok: true; email: string } | { ok: false }> {
  const link = await findLink(deps, token, kind);
  if (!link) return { ok: false };
  const passwordHash = await hashPassword(password);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const used = await tx
      .update(sessions)
      .set({ revokedAt: now })
      .where(and(eq(sessions.id, link.linkId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    if (used.length === 0) return { ok: false as const };
    await tx.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, link.userId));
    if (kind === "password_reset")
      await tx
        .update(sessions)
        .set({ revokedAt: now })
        .where(and(eq(sessions.userId, link.userId), isNull(sessions.revokedAt)));
    return { ok: true as const, email: link.email };
  });
}

/** Sets the password an invitation link asked for, once. */
export async function acceptInvitation(
  deps: { db: Db; clock: Clock },
  token: string,
  password: string,
): Promise<{ ok: true; email: string } | { ok: false }> {
  return useLink(deps, token, "invitation", password);
}

/** Sets the password a reset link asked for, once, and signs the person out everywhere. */
export async function resetPassword(
  deps: { db: Db; clock: Clock },
  token: string,
  password: string,
): Promise<{ ok: true; email: string } | { ok: false }> {
  return useLink(deps, token, "password_reset", password);
}

/** The person's saved console language. */
export async function saveLocale(db: Db, userId: string, locale: string): Promise<void> {
  await db.update(users).set({ locale, updatedAt: sql`now()` }).where(eq(users.id, userId));
}
