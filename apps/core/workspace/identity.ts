import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { workspaces } from "../../../db/schema/index";
import { EmailAddress, Mailbox } from "../shared/addresses";
import { isUuid } from "../shared/uuid";

/**
 * What customers see of the workspace: its name and product, where its app lives, its logo and
 * colour, who sends its mail and the footer that CAN-SPAM and Japan's 特定電子メール法 ask for
 * (the sender's name, postal address and a way to opt out). The name is the `workspaces.name`
 * column; the rest is the `identity` jsonb column, where a field left out is none.
 */

/** A line of text shown to customers: no control character can start a new header or line. */
const line = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((text) => !/\p{Cc}/u.test(text), "must be one line, without control characters");

/** A link customers follow or load: the web only, no credentials in it. */
const webUrl = z
  .url({ protocol: /^https?$/, hostname: z.regexes.domain })
  .max(2000)
  .refine((url) => !/^[a-z]+:\/\/[^/]*@/i.test(url), "must not carry a user name or password");

/**
 * The sender's display name and the workspace name stay short enough that `"Name" <address>`
 * is always a header mailbox (addresses.ts allows 320 characters).
 */
const NAME_MAX = 60;

export const WorkspaceIdentity = z
  .strictObject({
    name: line(NAME_MAX).meta({
      description: "The company customers know, e.g. in “The Acme Customer Success team”",
      example: "Acme",
    }),
    productName: line(100)
      .nullable()
      .meta({ description: "The product's name in the header; null: the name", example: "Acme Cloud" }),
    appUrl: webUrl.nullable().meta({
      description: "Where customers sign in: `links.app` in templates, the main button of the emails",
      example: "https://app.acme.example",
    }),
    logoUrl: webUrl.nullable().meta({
      description: "An image at the top of every email (about 32 px high); null: the product name",
      example: "https://acme.example/logo.png",
    }),
    brandColor: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, "must be a colour as #rrggbb")
      .nullable()
      .meta({ description: "The header rule and the buttons", example: "#0f766e" }),
    senderName: line(NAME_MAX).nullable().meta({
      description: "From's display name, and the sender named in the footer; null: the name",
      example: "Acme Customer Success",
    }),
    senderAddress: EmailAddress.nullable().meta({
      description:
        "From's address (the default From of every email; `PUT /v1/settings` `email.from` overrides it)",
      example: "success@acme.example",
    }),
    replyTo: Mailbox.nullable().meta({ description: "Reply-To of every email; null: replies go to From" }),
    postalAddress: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .refine(
        (text) => !/[^\P{Cc}\n\r]/u.test(text),
        "must be text: line breaks are allowed, other control characters are not",
      )
      .nullable()
      .meta({
        description: "The sender's postal address in the footer, lines separated by \\n",
        example: "Acme KK\n1-2-3 Marunouchi, Chiyoda-ku\nTokyo 100-0005, Japan",
      }),
    supportUrl: webUrl.nullable().meta({
      description: "The footer's help link",
      example: "https://acme.example/support",
    }),
  })
  .meta({ id: "WorkspaceIdentity" });
export type WorkspaceIdentity = z.infer<typeof WorkspaceIdentity>;

/** A partial update: the fields given replace the stored ones; null clears one (the name stays set). */
export const WorkspaceIdentityPatch = WorkspaceIdentity.partial().meta({ id: "WorkspaceIdentityPatch" });
export type WorkspaceIdentityPatch = z.infer<typeof WorkspaceIdentityPatch>;

const storedFields = WorkspaceIdentity.omit({ name: true }).shape;
type StoredIdentity = Omit<WorkspaceIdentity, "name">;

/**
 * The identity from its stored parts: each stored field is checked again, and one that no longer
 * passes (saved under an older rule) reads as none rather than failing every send.
 */
export function identityOf(name: string, stored: unknown): WorkspaceIdentity {
  const record = (typeof stored === "object" && stored !== null ? stored : {}) as Record<string, unknown>;
  const fields = Object.fromEntries(
    Object.entries(storedFields).map(([key, schema]) => {
      const parsed = schema.safeParse(record[key] ?? null);
      return [key, parsed.success ? parsed.data : null];
    }),
  ) as StoredIdentity;
  return { name, ...fields };
}

/** The workspace's From as a header mailbox, or null when it has no sender address. */
export function identitySender(identity: WorkspaceIdentity): string | null {
  if (!identity.senderAddress) return null;
  const name = identity.senderName ?? identity.name;
  // Quoted, so a comma or a dot in a company name stays part of the name.
  return `"${name.replace(/["\\]/g, "\\$&")}" <${identity.senderAddress}>`;
}

export async function getIdentity(db: Db, workspaceId: string): Promise<WorkspaceIdentity | undefined> {
  const [row] = await db
    .select({ name: workspaces.name, identity: workspaces.identity })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId));
  return row && identityOf(row.name, row.identity);
}

/**
 * PATCH of the identity: the given fields over the stored ones, merged by Postgres in one
 * statement, so two PATCHes of different fields never undo each other.
 */
export async function patchIdentity(
  db: Db,
  workspaceId: string,
  patch: WorkspaceIdentityPatch,
  at: Date,
): Promise<WorkspaceIdentity> {
  const { name, ...fields } = patch;
  // One kind of line break, whatever the client sent.
  if (fields.postalAddress) fields.postalAddress = fields.postalAddress.replace(/\r\n?/g, "\n");
  const entries = Object.entries(fields);
  const set = Object.fromEntries(entries.filter(([, value]) => value !== null));
  const cleared = entries.filter(([, value]) => value === null).map(([key]) => key);
  const merged = sql`(${workspaces.identity} || ${JSON.stringify(set)}::jsonb)`;
  const [row] = await db
    .update(workspaces)
    .set({
      ...(name !== undefined ? { name } : {}),
      identity: cleared.reduce((identity, key) => sql`(${identity} - ${key}::text)`, merged),
      updatedAt: at,
    })
    .where(eq(workspaces.id, workspaceId))
    .returning({ name: workspaces.name, identity: workspaces.identity });
  // The key authenticated this workspace: it exists.
  if (!row) throw new Error(`workspace ${workspaceId} not found`);
  return identityOf(row.name, row.identity);
}

/** The workspace a CLI command means: the one named, else the only one there is; else why not. */
export async function chooseWorkspace(
  db: Db,
  workspaceId?: string,
): Promise<{ ok: true; workspaceId: string } | { ok: false; reason: string }> {
  if (workspaceId !== undefined && !isUuid(workspaceId))
    return { ok: false, reason: `no workspace ${workspaceId}` };
  const found = await db
    .select({ id: workspaces.id })
    .from(workspaces)
    .where(workspaceId ? eq(workspaces.id, workspaceId) : undefined)
    .limit(2);
  const [only] = found;
  if (!only) return { ok: false, reason: workspaceId ? `no workspace ${workspaceId}` : "no workspace yet" };
  if (found.length > 1)
    return { ok: false, reason: "more than one workspace: name one with --workspace <id>" };
  return { ok: true, workspaceId: only.id };
}
