import { createRoute, z } from "@hono/zod-openapi";
import {
  createUser,
  deleteUser,
  listUsers,
  NewUser,
  User,
  UserPatch,
  updateUser,
} from "../../core/workspace/users";
import { bearerSecurity, createRouter, problemResponses } from "../openapi";
import { Problem, ProblemError, statusOfRefusal } from "../problem";

const IdParam = z.object({ id: z.string().meta({ param: { name: "id", in: "path" } }) });
const conflict = {
  409: {
    description: "The email is taken, or the change would leave no enabled admin",
    content: { "application/problem+json": { schema: Problem } },
  },
};

const listRoute = createRoute({
  method: "get",
  path: "/users",
  operationId: "listUsers",
  tags: ["People"],
  summary: "The people who sign in to the console, oldest first (admin keys only)",
  security: bearerSecurity,
  responses: {
    200: {
      description: "People",
      content: { "application/json": { schema: z.object({ data: z.array(User) }) } },
    },
    ...problemResponses(401, 403),
  },
});

const createUserRoute = createRoute({
  method: "post",
  path: "/users",
  operationId: "createUser",
  tags: ["People"],
  summary: "Add a person; without a password they are mailed a single-use link to set one",
  security: bearerSecurity,
  request: { body: { required: true, content: { "application/json": { schema: NewUser } } } },
  responses: {
    201: {
      description: "The person, and whether an invitation was sent",
      content: { "application/json": { schema: z.object({ user: User, invited: z.boolean() }) } },
    },
    ...conflict,
    ...problemResponses(400, 401, 403, 422),
  },
});

const patchRoute = createRoute({
  method: "patch",
  path: "/users/{id}",
  operationId: "updateUser",
  tags: ["People"],
  summary: "Change a person's name, role, language or zone, or disable them (signs them out everywhere)",
  security: bearerSecurity,
  request: {
    params: IdParam,
    body: { required: true, content: { "application/json": { schema: UserPatch } } },
  },
  responses: {
    200: { description: "The person", content: { "application/json": { schema: User } } },
    ...conflict,
    ...problemResponses(400, 401, 403, 404, 422),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/users/{id}",
  operationId: "deleteUser",
  tags: ["People"],
  summary: "Remove a person and their sign-ins",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: {
    204: { description: "Removed" },
    ...conflict,
    ...problemResponses(401, 403, 404),
  },
});

function refused(result: {
  refusal: "not_found" | "conflict" | "invalid";
  detail: string;
  pointer?: string;
}): never {
  throw new ProblemError({
    status: statusOfRefusal(result.refusal),
    detail: result.detail,
    ...(result.pointer ? { errors: [{ pointer: result.pointer, message: result.detail }] } : {}),
  });
}

export function usersRouter() {
  return createRouter()
    .openapi(listRoute, async (c) => c.json({ data: await listUsers(c.var.deps.db, c.var.workspaceId) }, 200))
    .openapi(createUserRoute, async (c) => {
      const result = await createUser(c.var.deps, c.var.workspaceId, c.req.valid("json"));
      if (!result.ok) return refused(result);
      return c.json({ user: result.user, invited: result.invited }, 201);
    })
    .openapi(patchRoute, async (c) => {
      const result = await updateUser(
        c.var.deps,
        c.var.workspaceId,
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      if (!result.ok) return refused(result);
      return c.json(result.user, 200);
    })
    .openapi(deleteRoute, async (c) => {
      const result = await deleteUser(c.var.deps.db, c.var.workspaceId, c.req.valid("param").id);
      if (!result.ok) return refused(result);
      return c.body(null, 204);
    });
}
