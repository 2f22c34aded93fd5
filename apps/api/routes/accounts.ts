import { createRoute, z } from "@hono/zod-openapi";
import { accountDetail } from "../../core/accounts/account-detail";
import {
  Account,
  AccountDetail,
  AccountInput,
  AccountListQuery,
  AccountPatch,
  listAccounts,
} from "../../core/accounts/accounts";
import { eraseAccount } from "../../core/accounts/erasure";
import { patchAccount, putAccount } from "../../core/accounts/save-account";
import { accountTimeline, TimelinePage, TimelineQuery } from "../../core/accounts/timeline";
import { ExternalId } from "../../core/shared/validators";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { ProblemError, statusOfRefusal } from "../problem";

const AccountParams = z.object({
  externalId: ExternalId.meta({ param: { name: "externalId", in: "path" }, example: "acme" }),
});

export const putAccountRoute = createRoute({
  method: "put",
  path: "/accounts/{externalId}",
  operationId: "upsertAccount",
  tags: ["Accounts"],
  summary: "Create or replace an account",
  description:
    "Replace: a field the body leaves out takes its default (`tier` tech_touch, `lifecycleStage` onboarding, `attributes` {}, every other field null), so a PUT with only a name clears `ownerCsm`, `licenses` and `timezone`; to change some fields only, use PATCH. A new account enters its `lifecycleStage`, and a replaced one enters its stage when it changed: either starts the journeys triggered by that stage, as PATCH does. `contacts` (optional) are created or replaced with the account, in the same transaction, so a CRM sync can send both at once and the stage's journeys find them; contacts not listed are kept.",
  security: bearerSecurity,
  request: {
    params: AccountParams,
    body: { required: true, content: { "application/json": { schema: AccountInput } } },
  },
  responses: {
    200: { description: "Updated", content: { "application/json": { schema: Account } } },
    201: { description: "Created", content: { "application/json": { schema: Account } } },
    ...problemResponses(400, 401, 422),
  },
});

export const listAccountsRoute = createRoute({
  method: "get",
  path: "/accounts",
  operationId: "listAccounts",
  tags: ["Accounts"],
  summary: "List accounts, a page at a time",
  security: bearerSecurity,
  request: { query: AccountListQuery },
  responses: {
    200: {
      description: "A page of accounts in externalId order",
      content: {
        "application/json": {
          schema: z.object({ data: z.array(Account), nextCursor: z.string().nullable() }),
        },
      },
    },
    ...problemResponses(400, 401),
  },
});

export const getAccountRoute = createRoute({
  method: "get",
  path: "/accounts/{externalId}",
  operationId: "getAccount",
  tags: ["Accounts"],
  summary: "Get one account",
  security: bearerSecurity,
  request: { params: AccountParams },
  responses: {
    200: {
      description: "The account, with its health trend and measures",
      content: { "application/json": { schema: AccountDetail } },
    },
    ...problemResponses(401, 404),
  },
});

export const patchAccountRoute = createRoute({
  method: "patch",
  path: "/accounts/{externalId}",
  operationId: "updateAccount",
  tags: ["Accounts"],
  summary: "Change some fields of an account (e.g. its lifecycle stage)",
  description:
    "Only the fields given change (null clears a nullable one); `attributes` are merged key by key. A new `lifecycleStage` starts the journeys triggered by it.",
  security: bearerSecurity,
  request: {
    params: AccountParams,
    body: { required: true, content: { "application/json": { schema: AccountPatch } } },
  },
  responses: {
    200: { description: "The updated account", content: { "application/json": { schema: Account } } },
    ...problemResponses(400, 401, 404, 422),
  },
});

export const deleteAccountRoute = createRoute({
  method: "delete",
  path: "/accounts/{externalId}",
  operationId: "deleteAccount",
  tags: ["Accounts"],
  summary: "Erase an account",
  description:
    "Its running journeys exit first; then the account is erased with its contacts, events, enrollments, touches, trace, escalations, in-app messages, health history and outbox files. Addresses that had unsubscribed are kept as keyed hashes, so a contact saved later with one stays unsubscribed.",
  security: bearerSecurity,
  request: { params: AccountParams },
  responses: {
    204: { description: "Erased" },
    ...problemResponses(401, 404),
  },
});

export const accountTimelineRoute = createRoute({
  method: "get",
  path: "/accounts/{externalId}/timeline",
  operationId: "getAccountTimeline",
  tags: ["Accounts"],
  summary: "The account's timeline, newest first, a page at a time",
  description:
    "Events, touches (with how many recipients opened and clicked them), stage changes, health changes (scoring runs that changed the score or band) and escalations, newest first. Items at the same millisecond come in a fixed order, so pages never skip or repeat one.",
  security: bearerSecurity,
  request: { params: AccountParams, query: TimelineQuery },
  responses: {
    200: { description: "A page of the timeline", content: { "application/json": { schema: TimelinePage } } },
    ...problemResponses(400, 401, 404),
  },
});

const notFound = (externalId: string) =>
  new ProblemError({ status: 404, type: "not-found", detail: `No account with externalId "${externalId}".` });

export function accountsRouter() {
  return createRouter()
    .openapi(putAccountRoute, async (c) => {
      const { deps, workspaceId } = c.var;
      const { externalId } = c.req.valid("param");
      const { account, created } = await putAccount(
        deps,
        workspaceId,
        externalId,
        c.req.valid("json"),
        deps.clock.now(),
      );
      return created ? c.json(account, 201) : c.json(account, 200);
    })
    .openapi(listAccountsRoute, async (c) => {
      const page = await listAccounts(c.var.deps.db, c.var.workspaceId, c.req.valid("query"));
      return c.json(page, 200);
    })
    .openapi(getAccountRoute, async (c) => {
      const { externalId } = c.req.valid("param");
      const account = await accountDetail(c.var.deps.db, c.var.workspaceId, externalId);
      if (!account) throw notFound(externalId);
      return c.json(account, 200);
    })
    .openapi(patchAccountRoute, async (c) => {
      const { deps, workspaceId } = c.var;
      const { externalId } = c.req.valid("param");
      const result = await patchAccount(deps, workspaceId, externalId, c.req.valid("json"), deps.clock.now());
      if (!result.ok && result.refusal === "not_found") throw notFound(externalId);
      if (!result.ok)
        throw new ProblemError({
          status: statusOfRefusal(result.refusal),
          type: "validation",
          errors: [{ pointer: result.pointer, message: result.detail }],
        });
      return c.json(result.account, 200);
    })
    .openapi(accountTimelineRoute, async (c) => {
      const { externalId } = c.req.valid("param");
      const page = await accountTimeline(c.var.deps.db, c.var.workspaceId, externalId, c.req.valid("query"));
      if (!page) throw notFound(externalId);
      return c.json(page, 200);
    })
    .openapi(deleteAccountRoute, async (c) => {
      const { externalId } = c.req.valid("param");
      const result = await eraseAccount(c.var.deps, c.var.workspaceId, externalId);
      if (!result.ok) throw notFound(externalId);
      return c.body(null, 204);
    });
}
