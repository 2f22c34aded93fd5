import { createRoute, z } from "@hono/zod-openapi";
import { ContactInput } from "../../core/accounts/contact-input";
import { Contact, ContactListQuery, listContacts, putContact } from "../../core/accounts/contacts";
import { ExternalId } from "../../core/shared/validators";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { ProblemError } from "../problem";

const AccountParam = ExternalId.meta({ param: { name: "externalId", in: "path" }, example: "acme" });
const ContactParam = ExternalId.meta({
  param: { name: "contactExternalId", in: "path" },
  example: "u-42",
});

export const putContactRoute = createRoute({
  method: "put",
  path: "/accounts/{externalId}/contacts/{contactExternalId}",
  tags: ["Contacts"],
  summary: "Create or replace a contact of an account",
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
    });
}
