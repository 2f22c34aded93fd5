import { and, asc, eq, ne, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { users } from "../../../db/schema/index";
import { sendMail } from "../delivery/mailer";
import { domainOf } from "../delivery/sender";
import { EmailAddress } from "../shared/addresses";
import type { Refusal } from "../shared/refusal";
import type { Services } from "../shared/services";
import { isUuid } from "../shared/uuid";
import { chooseWorkspace } from "./identity";
import { hashPassword, verifyPassword } from "./passwords";
import { Role } from "./roles";
import { createInvitation, INVITATION_DAYS, signOutEverywhere, signOutOthers } from "./sessions";
import { getSettings } from "./settings";

/** At least what OWASP ASVS asks (12 characters); no composition rules, a long passphrase is fine. */
export const Password = z.string().min(12, "must be at least 12 characters").max(200);

export const NewUser = z
  .strictObject({
    email: EmailAddress,
    name: z.string().trim().min(1).max(200),
    role: Role,
    password: Password.optional().meta({
      description: "Left out: the person gets an invitation email with a link to set one",
    }),
  })
  .meta({ id: "NewUser" });
export type NewUser = z.infer<typeof NewUser>;

export const UserPatch = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    role: Role,
    disabled: z.boolean().meta({ description: "true signs the person out everywhere and keeps them out" }),
    locale: z.enum(["en", "ja"]).nullable(),
    timezone: z.string().min(1).max(64).nullable(),
  })
  .partial()
  .meta({ id: "UserPatch" });
export type UserPatch = z.infer<typeof UserPatch>;

export const User = z
  .object({
    id: z.uuid(),
    email: z.string(),
    name: z.string(),
    role: Role,
    disabled: z.boolean(),
    /** Whether the person has set a password (false: invited, not yet accepted). */
    hasPassword: z.boolean(),
    locale: z.string().nullable(),
    timezone: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "User" });
export type User = z.infer<typeof User>;

type Row = typeof users.$inferSelect;
const userOf = (row: Row): User => ({
  id: row.id,
  email: row.email,
  name: row.name,
  role: row.role,
  disabled: row.disabled,
  hasPassword: row.passwordHash !== null,
  locale: row.locale,
  timezone: row.timezone,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

type UserDeps = Pick<Services, "db" | "clock" | "transport" | "outboxDir" | "publicUrl" | "metrics">;
type Refused = { ok: false; refusal: Refusal; detail: string; pointer?: string };

/** Adds a person; without a password they are mailed a link to set one. */
export async function createUser(
  deps: UserDeps,
  workspaceId: string,
  input: NewUser,
  /** `link`: the set-password link is returned rather than mailed (the CLI prints it to the operator). */
  invite: "mail" | "link" = "mail",
): Promise<{ ok: true; user: User; invited: boolean; invitationLink?: string } | Refused> {
  const email = input.email.toLowerCase();
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  const [row] = await deps.db
    .insert(users)
    .values({ workspaceId, email, name: input.name, role: input.role, passwordHash })
    .onConflictDoNothing()
    .returning();
  if (!row)
    return {
      ok: false,
      refusal: "conflict",
      detail: `${email} is already a person of this workspace.`,
      pointer: "/email",
    };
  if (passwordHash !== null) return { ok: true, user: userOf(row), invited: false };
  const { token } = await createInvitation(deps, row.id);
  const link = `${deps.publicUrl.replace(/\/$/, "")}/app/set-password?token=${token}`;
  if (invite === "link") return { ok: true, user: userOf(row), invited: true, invitationLink: link };
  await sendInvitation(deps, workspaceId, row, link);
  return { ok: true, user: userOf(row), invited: true };
}

async function sendInvitation(deps: UserDeps, workspaceId: string, user: Row, link: string): Promise<void> {
  const settings = await getSettings(deps.db, workspaceId);
  const from = settings.email.from;
  const text = [
    `Hello ${user.name},`,
    "",
    "You have been invited to the Volante console. Set your password here:",
    link,
    "",
    `The link works once and for ${INVITATION_DAYS} days.`,
    "",
    `${user.name} さん、Volante コンソールに招待されました。次のリンクからパスワードを設定してください（1 回限り、${INVITATION_DAYS} 日間有効）:`,
    link,
  ].join("\n");
  const result = await sendMail(deps, workspaceId, `invitation-${user.id}-${Date.now()}`, {
    from,
    to: user.email,
    subject: "Your Volante invitation / Volante への招待",
    text,
    messageId: `<invitation-${user.id}-${deps.clock.now().getTime()}@${domainOf(from)}>`,
  });
  if (!result.ok) throw new Error(`invitation to ${user.email} refused: ${result.reason}`);
}

export async function listUsers(db: Db, workspaceId: string): Promise<User[]> {
  const rows = await db
    .select()
    .from(users)
    .where(eq(users.workspaceId, workspaceId))
    .orderBy(asc(users.createdAt));
  return rows.map(userOf);
}

const lastAdmin: Refused = {
  ok: false,
  refusal: "conflict",
  detail: "This is the workspace's last enabled admin: make someone else admin first.",
};

/** Changes a person; demoting or disabling the last enabled admin is refused, disabling signs them out. */
export async function updateUser(
  deps: Pick<Services, "db" | "clock">,
  workspaceId: string,
  userId: string,
  patch: UserPatch,
): Promise<{ ok: true; user: User } | Refused> {
  const notFound: Refused = {
    ok: false,
    refusal: "not_found",
    detail: `No person ${userId} in this workspace.`,
  };
  if (!isUuid(userId)) return notFound;
  return deps.db.transaction(async (tx) => {
    const [current] = await tx
      .select()
      .from(users)
      .where(and(eq(users.id, userId), eq(users.workspaceId, workspaceId)))
      .for("update");
    if (!current) return notFound;
    const losesAdmin = (patch.role !== undefined && patch.role !== "admin") || patch.disabled === true;
    if (
      current.role === "admin" &&
      !current.disabled &&
      losesAdmin &&
      !(await otherAdmins(tx as unknown as Db, workspaceId, userId))
    )
      return lastAdmin;
    const [row] = await tx
      .update(users)
      .set({ ...patch, updatedAt: deps.clock.now() })
      .where(eq(users.id, userId))
      .returning();
    if (!row) return notFound;
    if (patch.disabled) await signOutEverywhere({ db: tx as unknown as Db, clock: deps.clock }, userId);
    return { ok: true as const, user: userOf(row) };
  });
}

/** Removes a person and their sessions (the last enabled admin stays). */
export async function deleteUser(
  db: Db,
  workspaceId: string,
  userId: string,
): Promise<{ ok: true } | Refused> {
  const notFound: Refused = {
    ok: false,
    refusal: "not_found",
    detail: `No person ${userId} in this workspace.`,
  };
  if (!isUuid(userId)) return notFound;
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select({ role: users.role, disabled: users.disabled })
      .from(users)
      .where(and(eq(users.id, userId), eq(users.workspaceId, workspaceId)))
      .for("update");
    if (!current) return notFound;
    if (
      current.role === "admin" &&
      !current.disabled &&
      !(await otherAdmins(tx as unknown as Db, workspaceId, userId))
    )
      return lastAdmin;
    await tx.delete(users).where(eq(users.id, userId));
    return { ok: true as const };
  });
}

/**
 * A signed-in person changes their password: the current one must match. Every other session of
 * theirs ends (and their open links), the one they changed it from stays.
 */
export async function changePassword(
  deps: Pick<Services, "db" | "clock">,
  signedIn: { userId: string; sessionId: string },
  current: string,
  next: string,
): Promise<{ ok: true; signedOut: number } | { ok: false; refusal: "wrong_password" }> {
  const [row] = await deps.db
    .select({ passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, signedIn.userId));
  if (!row?.passwordHash || !(await verifyPassword(current, row.passwordHash)))
    return { ok: false, refusal: "wrong_password" };
  const passwordHash = await hashPassword(next);
  return deps.db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({ passwordHash, updatedAt: deps.clock.now() })
      .where(eq(users.id, signedIn.userId));
    const signedOut = await signOutOthers(
      { db: tx as unknown as Db, clock: deps.clock },
      signedIn.userId,
      signedIn.sessionId,
    );
    return { ok: true as const, signedOut };
  });
}

/** How many people can sign in to the console, in every workspace (none yet: the start banner says how to add one). */
export async function countPeople(db: Db): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(users)
    .where(eq(users.disabled, false));
  return row?.n ?? 0;
}

async function otherAdmins(db: Db, workspaceId: string, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(users)
    .where(
      and(
        eq(users.workspaceId, workspaceId),
        eq(users.role, "admin"),
        eq(users.disabled, false),
        ne(users.id, userId),
      ),
    );
  return (row?.n ?? 0) > 0;
}

/**
 * `volante users create`: a person in the workspace named, or the only one. Without a password the
 * set-password link is returned for the operator to pass on (how the first admin gets in).
 */
export async function createUserFromCli(
  deps: UserDeps,
  input: NewUser,
  workspaceId?: string,
): Promise<{ ok: true; user: User; invitationLink?: string } | { ok: false; reason: string }> {
  const chosen = await chooseWorkspace(deps.db, workspaceId);
  if (!chosen.ok) return chosen;
  const created = await createUser(deps, chosen.workspaceId, input, "link");
  if (!created.ok) return { ok: false, reason: created.detail };
  return {
    ok: true,
    user: created.user,
    ...(created.invitationLink ? { invitationLink: created.invitationLink } : {}),
  };
}

/** `volante users list`: the people of the workspace named, or the only one. */
export async function listUsersFromCli(
  db: Db,
  workspaceId?: string,
): Promise<{ ok: true; users: User[] } | { ok: false; reason: string }> {
  const chosen = await chooseWorkspace(db, workspaceId);
  if (!chosen.ok) return chosen;
  return { ok: true, users: await listUsers(db, chosen.workspaceId) };
}
