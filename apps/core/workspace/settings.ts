import { eq } from "drizzle-orm";
import { parse as parseDuration } from "tinyduration";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { workspaces } from "../../../db/schema/index";
import type { Logger } from "../../logger";
import { Tier } from "../accounts/accounts";
import { EmailAddress, Mailbox } from "../shared/addresses";
import { webhookTargetProblem } from "../shared/outbound";
import type { Services } from "../shared/services";
import { TimeZone } from "../shared/validators";
import { getIdentity, identityOf, identitySender, type WorkspaceIdentity } from "./identity";
import { DEFAULT_FROM, withSendableAddresses } from "./stored-addresses";

const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM, 00:00–23:59");
const IsoDuration = z.string().refine((d) => {
  try {
    parseDuration(d);
    return true;
  } catch {
    return false;
  }
}, "must be an ISO-8601 duration such as P1D or PT12H");

/** Where the CSMs' language and zone went (decision 0030): said to a client that still sends them here. */
export const CSMS_MOVED =
  "has moved to the CSM record: set `locale` and `timezone` with PUT /v1/csms/{email}";

export const Settings = z
  .strictObject({
    notifications: z
      .strictObject({
        webhookUrl: z
          .url({ protocol: /^https?$/ })
          .nullable()
          .default(null)
          .meta({
            description:
              "Slack-compatible incoming webhook: escalations (opened, reminder, SLA breach) and health alerts. A secret: shown masked; sending the masked value back keeps the stored URL",
            example: "https://hooks.slack.com/services/T000/B000/XXXX",
          }),
        managerEmail: Mailbox.nullable()
          .default(null)
          .meta({ description: "Told when an escalation misses its SLA" }),
      })
      .prefault({}),
    email: z
      .strictObject({
        from: Mailbox.default(DEFAULT_FROM).meta({
          description:
            "From of every email: an address, or `Name <address>` such as `Acme CS <cs@acme.example>`. Reads as the workspace's sender (`GET /v1/workspace`) unless set to another address here; sending back what a GET showed keeps following it",
        }),
        replyTo: Mailbox.nullable()
          .default(null)
          .meta({ description: "Reply-To of every email; null: the workspace's `replyTo`" }),
        csmSenderTiers: z
          .array(Tier)
          .default(["high_touch"])
          .meta({ description: "Tiers whose emails come from (and reply to) the account's owner CSM" }),
      })
      .prefault({}),
    escalations: z
      .strictObject({
        fallbackOwner: EmailAddress.nullable().default(null).meta({
          description:
            "Gets every escalation routing cannot assign (no active CSM serves the tier, or all are at capacity), and is emailed for it",
          example: "cs-lead@vendor.example",
        }),
        // Refused whatever it holds (`z.never()` has no OpenAPI rendering); absent passes.
        csms: z
          .unknown()
          .refine(() => false, CSMS_MOVED)
          .optional()
          .meta({ deprecated: true, description: `Refused: the CSMs' language and time zone ${CSMS_MOVED}` }),
      })
      .prefault({}),
    delivery: z
      .strictObject({
        frequencyCap: z
          .strictObject({
            max: z.number().int().min(1).max(1000),
            per: IsoDuration.meta({ example: "P1D" }),
          })
          .nullable()
          .default(null)
          .meta({
            description:
              "At most `max` messages per contact per window, across journeys; transactional is exempt",
          }),
        quietHours: z.strictObject({ start: Clock, end: Clock }).nullable().default(null).meta({
          description: "No message in this window of the contact's local time; deferred to its end",
        }),
        defaultTimezone: TimeZone.default("UTC").meta({
          description: "For contacts and accounts without a time zone",
        }),
      })
      .prefault({}),
  })
  .meta({ id: "Settings" });
export type Settings = z.infer<typeof Settings>;

/** The workspace's settings with every default filled in, From and Reply-To from its identity. */
export async function getSettings(
  db: Db,
  workspaceId: string,
  log?: Pick<Logger, "warn">,
): Promise<Settings> {
  const [row] = await db
    .select({ settings: workspaces.settings, name: workspaces.name, identity: workspaces.identity })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId));
  return settingsOf(row?.settings, log, row && identityOf(row.name, row.identity));
}

/**
 * A workspace's stored settings: validated on the way in; parsing again fills defaults added since.
 * Addresses stored before they were checked strictly fall back (`withSendableAddresses` says how),
 * so an old bad `from` cannot make every read and every send fail. The identity's sender is the
 * From and Reply-To wherever the settings hold no address of their own.
 */
export function settingsOf(
  stored: unknown,
  log?: Pick<Logger, "warn">,
  identity?: WorkspaceIdentity,
): Settings {
  const settings = Settings.parse(withSendableAddresses(withoutMovedKeys(stored ?? {}), log));
  if (!identity) return settings;
  const from = settings.email.from === DEFAULT_FROM ? identitySender(identity) : null;
  return {
    ...settings,
    email: {
      ...settings.email,
      from: from ?? settings.email.from,
      replyTo: settings.email.replyTo ?? identity.replyTo,
    },
  };
}

/**
 * Stored settings without what moved elsewhere: migration 0017 removes `escalations.csms`, and a
 * process of the previous version may still write it during a rolling deploy; reads must not fail.
 */
function withoutMovedKeys(stored: unknown): unknown {
  if (typeof stored !== "object" || stored === null) return stored;
  const { escalations } = stored as { escalations?: unknown };
  if (typeof escalations !== "object" || escalations === null || !("csms" in escalations)) return stored;
  const { csms: _moved, ...kept } = escalations as Record<string, unknown>;
  return { ...stored, escalations: kept };
}

/**
 * The settings as stored: an address equal to the identity's is no override, so a client that
 * sends back what it read keeps following the identity when its sender changes later.
 */
function overridesOf(settings: Settings, identity: WorkspaceIdentity | undefined): Settings {
  if (!identity) return settings;
  const { from, replyTo } = settings.email;
  return {
    ...settings,
    email: {
      ...settings.email,
      from: from === identitySender(identity) ? DEFAULT_FROM : from,
      replyTo: replyTo === identity.replyTo ? null : replyTo,
    },
  };
}

/**
 * A webhook URL as the API shows it: a Slack incoming webhook's path is its secret, so only the
 * origin and the last four characters, enough to tell two apart.
 */
export function maskUrl(url: string): string {
  return `${new URL(url).origin}/…${url.slice(-4)}`;
}

/** The settings as the API shows them: the notification webhook masked. */
export function shownSettings(settings: Settings): Settings {
  const { webhookUrl } = settings.notifications;
  return webhookUrl
    ? { ...settings, notifications: { ...settings.notifications, webhookUrl: maskUrl(webhookUrl) } }
    : settings;
}

/** GET of the workspace's settings, as the API shows them. */
export async function showSettings(
  db: Db,
  workspaceId: string,
  log?: Pick<Logger, "warn">,
): Promise<Settings> {
  return shownSettings(await getSettings(db, workspaceId, log));
}

export type PutSettingsResult =
  | { ok: true; settings: Settings }
  | { ok: false; refusal: "invalid"; pointer: string; detail: string };

/**
 * PUT of the workspace's settings: the notification webhook must be a URL the outbound guard lets
 * through (no literal internal address, no localhost), without credentials, before it is stored.
 * The masked URL a GET showed keeps the stored one, so a client can send back what it read.
 */
export async function putSettings(
  deps: Pick<Services, "db" | "clock" | "outbound">,
  workspaceId: string,
  settings: Settings,
): Promise<PutSettingsResult> {
  const stored = (await getSettings(deps.db, workspaceId)).notifications.webhookUrl;
  const sent = settings.notifications.webhookUrl;
  const url = sent && stored && sent === maskUrl(stored) ? stored : sent;
  // Another URL's mask (say, read before someone changed it) is no target to post to.
  const problem = !url
    ? undefined
    : url.includes("/…")
      ? "is a masked URL that is not the stored one: send the full URL"
      : webhookTargetProblem(url, deps.outbound);
  if (problem)
    return { ok: false, refusal: "invalid", pointer: "/notifications/webhookUrl", detail: problem };
  const identity = await getIdentity(deps.db, workspaceId);
  const saved = await saveSettings(
    deps.db,
    workspaceId,
    overridesOf({ ...settings, notifications: { ...settings.notifications, webhookUrl: url } }, identity),
    deps.clock.now(),
  );
  return { ok: true, settings: shownSettings(settingsOf(saved, undefined, identity)) };
}

export async function saveSettings(
  db: Db,
  workspaceId: string,
  settings: Settings,
  at: Date,
): Promise<Settings> {
  await db.update(workspaces).set({ settings, updatedAt: at }).where(eq(workspaces.id, workspaceId));
  return settings;
}
