import type { Role } from "../core/workspace/roles";

/**
 * The one rule of who may call what on /v1 (docs/decisions/0036): the minimum role of each operation,
 * by method and OpenAPI path. Reads are for everyone (viewer) unless listed; a write not listed needs
 * admin, so a new route is closed until someone decides. tests/security/roles.test.ts calls every
 * operation of the OpenAPI document with a key of each role against this table.
 */
export const MINIMUM_ROLE: Record<string, Role> = {
  // People and keys: admins only, reads included (a key's secret, who works here).
  "GET /v1/users": "admin",
  "POST /v1/users": "admin",
  "PATCH /v1/users/{id}": "admin",
  "DELETE /v1/users/{id}": "admin",
  "GET /v1/in-app/keys": "admin",
  "POST /v1/settings/webhook-secret": "admin",

  // A CSM works escalations and accounts (their contacts, renewals and events).
  "POST /v1/escalations/{id}/acknowledge": "csm",
  "POST /v1/escalations/{id}/resolve": "csm",
  "POST /v1/escalations/{id}/reassign": "csm",
  "PUT /v1/accounts/{externalId}": "csm",
  "PATCH /v1/accounts/{externalId}": "csm",
  "PUT /v1/accounts/{externalId}/contacts/{contactExternalId}": "csm",
  "PATCH /v1/accounts/{externalId}/contacts/{contactExternalId}": "csm",
  "PUT /v1/accounts/{externalId}/renewals/{renewalDate}": "csm",
  "POST /v1/events": "csm",

  // Reads that take a body: they change nothing.
  "POST /v1/journeys/{key}/simulate": "viewer",
  "POST /v1/templates/{key}/preview": "viewer",

  // CS Ops run the engine: journeys, templates, enrollments, health, settings, erasure.
  "PUT /v1/journeys/{key}": "cs_ops",
  "POST /v1/journeys/{key}/publish": "cs_ops",
  "POST /v1/journeys/{key}/pause": "cs_ops",
  "POST /v1/journeys/{key}/resume": "cs_ops",
  "POST /v1/journeys/{key}/archive": "cs_ops",
  "PUT /v1/templates/{key}": "cs_ops",
  "POST /v1/enrollments": "cs_ops",
  "POST /v1/enrollments/bulk": "cs_ops",
  "POST /v1/enrollments/{id}/exit": "cs_ops",
  "PUT /v1/csms/{email}": "cs_ops",
  "PUT /v1/health/scorecard": "cs_ops",
  "POST /v1/health/recompute": "cs_ops",
  "PUT /v1/settings": "cs_ops",
  "PATCH /v1/workspace": "cs_ops",
  "DELETE /v1/accounts/{externalId}": "cs_ops",
  "DELETE /v1/accounts/{externalId}/contacts/{contactExternalId}": "cs_ops",
};

/** The minimum role for a request, given Hono's route pattern (`/v1/users/:id`). */
export function minimumRole(method: string, routePattern: string): Role {
  const path = routePattern.replace(/:(\w+)/g, "{$1}");
  const listed = MINIMUM_ROLE[`${method.toUpperCase()} ${path}`];
  if (listed) return listed;
  return method === "GET" || method === "HEAD" ? "viewer" : "admin";
}
