import { createRoute, z } from "@hono/zod-openapi";
import { findAccountRow } from "../../core/accounts/accounts";
import {
  Contact,
  ContactInput,
  ContactListQuery,
  listContacts,
  upsertContact,
} from "../../core/accounts/contacts";
import { ExternalId } from "../../core/shared/validators";
import type { AppDeps } from "../context";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { ProblemError } from "../problem";

const AccountParam = ExternalId.openapi({ param: { name: "externalId", in: "path" }, example: "acme" });
const ContactParam = ExternalId.openapi({
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

async function accountOr404(deps: AppDeps, workspaceId: string, externalId: string) {
  const row = await findAccountRow(deps.db, workspaceId, externalId);
  if (!row)
    throw new ProblemError({
      status: 404,
      type: "not-found",
      detail: `No account with externalId "${externalId}".`,
    });
  return row;
}

export function contactsRouter() {
  return createRouter()
    .openapi(putContactRoute, async (c) => {
      const { externalId, contactExternalId } = c.req.valid("param");
      const account = await accountOr404(c.var.deps, c.var.workspaceId, externalId);
      const { contact, created } = await upsertContact(
        c.var.deps.db,
        account,
        contactExternalId,
        c.req.valid("json"),
      );
      return created ? c.json(contact, 201) : c.json(contact, 200);
    })
    .openapi(listContactsRoute, async (c) => {
      const { externalId } = c.req.valid("param");
      const account = await accountOr404(c.var.deps, c.var.workspaceId, externalId);
      return c.json(await listContacts(c.var.deps.db, account, c.req.valid("query")), 200);
    });
}
