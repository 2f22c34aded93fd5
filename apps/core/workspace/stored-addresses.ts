import type { Logger } from "../../logger";
import { mailboxProblem } from "../shared/addresses";

/** The sender when a workspace has set none, or holds one that is not a mailbox. */
export const DEFAULT_FROM = "Volante <noreply@volante.local>";

/** Bad values already reported by this process: one warning each, not one per send. */
const reported = new Set<string>();
const MAX_REPORTED = 1000;

/**
 * Stored settings with every header address a mailbox: `email.from` falls back to the default
 * sender, `email.replyTo` and `notifications.managerEmail` to none. Workspaces saved before
 * addresses were checked (issue 14) may hold `not-an-address` or a CR/LF; reads stay lenient so
 * they keep sending, and the operator is warned to fix the value with `PUT /v1/settings`.
 */
export function withSendableAddresses(stored: unknown, log?: Pick<Logger, "warn">): unknown {
  if (typeof stored !== "object" || stored === null) return stored;
  const settings = stored as { email?: Record<string, unknown>; notifications?: Record<string, unknown> };
  const email = settings.email && {
    ...settings.email,
    ...fallback(settings.email, "from", DEFAULT_FROM, "/email/from", log),
    ...fallback(settings.email, "replyTo", null, "/email/replyTo", log),
  };
  const notifications = settings.notifications && {
    ...settings.notifications,
    ...fallback(settings.notifications, "managerEmail", null, "/notifications/managerEmail", log),
  };
  return {
    ...settings,
    ...(email ? { email } : {}),
    ...(notifications ? { notifications } : {}),
  };
}

function fallback(
  part: Record<string, unknown>,
  key: string,
  instead: string | null,
  pointer: string,
  log: Pick<Logger, "warn"> | undefined,
): Record<string, unknown> {
  const value = part[key];
  if (typeof value !== "string" || !mailboxProblem(value, { displayName: true })) return {};
  const id = `${pointer}=${value}`;
  if (log && !reported.has(id) && reported.size < MAX_REPORTED) {
    reported.add(id);
    log.warn("stored settings hold an address that is not a mailbox; using the fallback until fixed", {
      pointer,
      fallback: instead,
    });
  }
  return { [key]: instead };
}
