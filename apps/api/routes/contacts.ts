import { createRoute, z } from "@hono/zod-openapi";
import { ContactInput, ContactPatch } from "../../core/accounts/contact-input";
import {
  Contact,
  ContactListQuery,
  listContacts,
  patchContact,
  putContact,
} from "../../core/accounts/contacts";
import { eraseContact } from "../../core/accounts/erasure";
import { ExternalId } from "../../core/shared/validators";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { ProblemError, statusOfRefusal } from "../problem";

const AccountParam = ExternalId.meta({ param: { name: "externalId", in: "path" }, example: "acme" });
const ContactParam = ExternalId.meta({
  param: { name: "contactExternalId", in: "path" },
  example: "u-42",
});

export const putContactRoute = createRoute({
  method: "put",
  path: "/accounts/{externalId}/contacts/{contactExternalId}",
  operationId: "upsertContact",
  tags: ["Contacts"],
  summary: "Create or replace a contact of an account",
  description:
    "Replace: a field the body leaves out takes its default (`name`, `timezone` null, `role` user, `locale` en, `attributes` {}). To change some fields only, use PATCH.",
  security: bearerSecurity,
  request: {
    params: z.object({ externalId: AccountParam, contactExternalId: ContactParam }),
    body: { required: true, content: { "application/json": { schema: ContactInput } } },
  },
  responses: {
    200: { description: "Updated", content: { "application/json": { schema: Contact } } },
    201: { description: "Created", content: { "application/json": { schema: Contact } } },
    ...problemResponses(400, 401, 404, 422),
  },
});

export const listContactsRoute = createRoute({
  method: "get",
  path: "/accounts/{externalId}/contacts",
  operationId: "listContacts",
  tags: ["Contacts"],
  summary: "List the contacts of an account",
  security: bearerSecurity,
  request: { params: z.object({ externalId: AccountParam }), query: ContactListQuery },
  responses: {
    200: {
      description: "A page of contacts in externalId order",
      content: {
        "application/json": {
          schema: z.object({ data: z.array(Contact), nextCursor: z.string().nullable() }),
        },
      },
    },
    ...problemResponses(400, 401, 404),
  },
});

const ContactParams = z.object({ externalId: AccountParam, contactExternalId: ContactParam });

export const patchContactRoute = createRoute({
  method: "patch",
  path: "/accounts/{externalId}/contacts/{contactExternalId}",
  operationId: "updateContact",
  tags: ["Contacts"],
  summary: "Change some fields of a contact",
  description: "Only the fields given change; `attributes` are merged key by key.",
  security: bearerSecurity,
  request: {
    params: ContactParams,
    body: { required: true, content: { "application/json": { schema: ContactPatch } } },
  },
  responses: {
    200: { description: "The updated contact", content: { "application/json": { schema: Contact } } },
    ...problemResponses(400, 401, 404, 422),
  },
});

export const deleteContactRoute = createRoute({
  method: "delete",
  path: "/accounts/{externalId}/contacts/{contactExternalId}",
  operationId: "deleteContact",
  tags: ["Contacts"],
  summary: "Erase a contact",
  description:
    "Erases the person: the contact, the events it did, its in-app messages and sends, its outbox files, and its address wherever a touch, the trace or an escalation kept it. If it had unsubscribed, a keyed hash of the address is kept so a contact saved later with that address stays unsubscribed.",
  security: bearerSecurity,
  request: { params: ContactParams },
  responses: {
    204: { description: "Erased" },
    ...problemResponses(401, 404),
  },
});

const noAccount = (externalId: string) =>
  new ProblemError({ status: 404, type: "not-found", detail: `No account with externalId "${externalId}".` });

export function contactsRouter() {
  return createRouter()
    .openapi(putContactRoute, async (c) => {
      const { externalId, contactExternalId } = c.req.valid("param");
      const result = await putContact(
        c.var.deps,
        c.var.workspaceId,
        externalId,
        contactExternalId,
        c.req.valid("json"),
        c.var.deps.clock.now(),
      );
      if (!result) throw noAccount(externalId);
      return result.created ? c.json(result.contact, 201) : c.json(result.contact, 200);
    })
    .openapi(listContactsRoute, async (c) => {
      const { externalId } = c.req.valid("param");
      const page = await listContacts(c.var.deps.db, c.var.workspaceId, externalId, c.req.valid("query"));
      if (!page) throw noAccount(externalId);
      return c.json(page, 200);
    })
    .openapi(patchContactRoute, async (c) => {
      const { externalId, contactExternalId } = c.req.valid("param");
      const { deps, workspaceId } = c.var;
      const result = await patchContact(
        deps.db,
        workspaceId,
        externalId,
        contactExternalId,
        c.req.valid("json"),
        deps.clock.now(),
      );
      if (!result.ok && result.refusal === "not_found")
        throw new ProblemError({ status: 404, type: "not-found", detail: result.detail });
      if (!result.ok)
        throw new ProblemError({
          status: statusOfRefusal(result.refusal),
          type: "validation",
          errors: [{ pointer: result.pointer, message: result.detail }],
        });
      return c.json(result.contact, 200);
    })
    .openapi(deleteContactRoute, async (c) => {
      const { externalId, contactExternalId } = c.req.valid("param");
      const result = await eraseContact(c.var.deps, c.var.workspaceId, externalId, contactExternalId);
      if (!result.ok)
        throw new ProblemError({
          status: statusOfRefusal(result.refusal),
          type: "not-found",
          detail: result.detail,
        });
      return c.body(null, 204);
    });
}
