import { randomUUID } from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import { users } from "../../../db/schema/index";
import { sendMail } from "../delivery/mailer";
import { domainOf } from "../delivery/sender";
import type { Services } from "../shared/services";
import { createPasswordReset, PASSWORD_RESET_HOURS } from "./sessions";
import { getSettings } from "./settings";

type ResetDeps = Pick<Services, "db" | "clock" | "transport" | "outboxDir" | "publicUrl" | "metrics" | "log">;

/**
 * "Forgot your password?": every enabled person with that email (one per workspace they belong to)
 * is mailed a single-use link, good for an hour, to set a new password. Unknown and disabled
 * addresses get nothing; the caller answers the same either way, so a mail that could not be sent is
 * logged, not returned. Returns how many mails went out.
 */
export async function requestPasswordReset(deps: ResetDeps, email: string): Promise<number> {
  const people = await deps.db
    .select({ id: users.id, name: users.name, email: users.email, workspaceId: users.workspaceId })
    .from(users)
    .where(and(eq(users.email, email.trim().toLowerCase()), eq(users.disabled, false)))
    .orderBy(asc(users.createdAt))
    .limit(5);
  let sent = 0;
  for (const person of people) {
    const { token } = await createPasswordReset(deps, person.id);
    const link = `${deps.publicUrl.replace(/\/$/, "")}/app/reset-password/new?token=${token}`;
    if (await sendResetMail(deps, person, link)) sent++;
  }
  return sent;
}

async function sendResetMail(
  deps: ResetDeps,
  person: { id: string; name: string; email: string; workspaceId: string },
  link: string,
): Promise<boolean> {
  const { from } = (await getSettings(deps.db, person.workspaceId)).email;
  // Two requests in one millisecond are two mails, not one file written twice.
  const at = `${deps.clock.now().getTime()}-${randomUUID().slice(0, 8)}`;
  const text = [
    `Hello ${person.name},`,
    "",
    "Someone asked to reset your Volante console password. Set a new one here:",
    link,
    "",
    `The link works once and for ${PASSWORD_RESET_HOURS} hour. If you did not ask, ignore this mail: your password stays as it is.`,
    "",
    `${person.name} さん、Volante コンソールのパスワード再設定が依頼されました。次のリンクから新しいパスワードを設定してください（1 回限り、${PASSWORD_RESET_HOURS} 時間有効）。心当たりがない場合はこのメールを無視してください。`,
    link,
  ].join("\n");
  const result = await sendMail(deps, person.workspaceId, `password-reset-${person.id}-${at}`, {
    from,
    to: person.email,
    subject: "Reset your Volante password / Volante パスワードの再設定",
    text,
    messageId: `<password-reset-${person.id}-${at}@${domainOf(from)}>`,
  });
  if (!result.ok) deps.log.warn("password reset mail refused", { userId: person.id, reason: result.reason });
  return result.ok;
}
