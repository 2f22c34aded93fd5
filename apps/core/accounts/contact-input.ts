import { z } from "zod";
import { contactRoles } from "../../../db/schema/index";
import { EmailAddress } from "../shared/addresses";
import { Attributes, ExternalId, storableText, TimeZone } from "../shared/validators";

/**
 * What a contact write carries, apart from the reads (contacts.ts): both the contact's own PUT and
 * the `contacts` of an account's PUT (accounts.ts) use it, and neither file imports the other.
 */

export const ContactRole = z.enum(contactRoles).meta({ id: "ContactRole" });

const contactFields = {
  email: EmailAddress,
  name: z.string().trim().min(1).max(300).nullable().optional(),
  role: ContactRole.default("user"),
  locale: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "must be a BCP 47 language tag such as en or ja-JP")
    .default("en"),
  timezone: TimeZone.nullable().optional(),
  attributes: Attributes.default({}),
};

/** Body of PUT /v1/accounts/{externalId}/contacts/{contactExternalId}. */
export const ContactInput = storableText(z.strictObject(contactFields)).meta({ id: "ContactInput" });
export type ContactInput = z.infer<typeof ContactInput>;

/** Body of PATCH of a contact: any subset; `attributes` are merged key by key. */
export const ContactPatch = storableText(
  z.strictObject({
    email: contactFields.email.optional(),
    name: contactFields.name,
    role: ContactRole.optional(),
    locale: contactFields.locale.removeDefault().optional(),
    timezone: contactFields.timezone,
    attributes: Attributes.optional(),
  }),
).meta({ id: "ContactPatch" });
export type ContactPatch = z.infer<typeof ContactPatch>;

/** Most contacts one account PUT may carry; more go through the contacts endpoint. */
export const MAX_CONTACTS_PER_PUT = 100;

/** `contacts` of PUT /v1/accounts/{externalId}: contact upserts, each named by its externalId once. */
export const AccountContacts = z
  .array(z.strictObject({ externalId: ExternalId, ...contactFields }))
  .max(MAX_CONTACTS_PER_PUT)
  .superRefine((list, ctx) => {
    // One INSERT … ON CONFLICT cannot update the same row twice, and which one should win is unclear.
    const seen = new Set<string>();
    list.forEach((contact, index) => {
      if (seen.has(contact.externalId))
        ctx.addIssue({ code: "custom", path: [index, "externalId"], message: "appears twice in contacts" });
      seen.add(contact.externalId);
    });
  })
  .meta({
    id: "AccountContacts",
    description: `Contacts to create or replace with the account (at most ${MAX_CONTACTS_PER_PUT}); contacts not listed are kept`,
  });
export type AccountContacts = z.infer<typeof AccountContacts>;
