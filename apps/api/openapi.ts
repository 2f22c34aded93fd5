import { OpenAPIHono, z } from "@hono/zod-openapi";
import { journeyDefinitions } from "../../workflows/journey/json-schema";
import type { App, AppEnv } from "./context";
import { Problem, validationHook } from "./problem";

const problemDescriptions: Record<number, string> = {
  400: "Malformed request (bad JSON or query parameters)",
  401: "Missing, unknown or revoked API key",
  403: "The API key's role may not do this",
  404: "Not found in this workspace",
  413: "Request too large",
  422: "The body is not valid; `errors` has a JSON pointer per bad field",
};

const problemContent = { "application/problem+json": { schema: Problem } };

/**
 * Documents problem+json responses for the given statuses, and as `default` every other error any
 * route can answer (a bad path or query parameter, 413, 415, 429, 500): all errors are problem+json.
 */
export function problemResponses<const S extends readonly number[]>(...statuses: S) {
  return {
    ...Object.fromEntries(
      statuses.map((status) => [
        status,
        { description: problemDescriptions[status] ?? "Problem", content: problemContent },
      ]),
    ),
    default: {
      description:
        "Any other error, as RFC 9457 problem details; 429 (rate limited) comes with `Retry-After` in seconds",
      content: problemContent,
    },
  } as {
    [K in S[number] | "default"]: { description: string; content: typeof problemContent };
  };
}

export const bearerSecurity = [{ bearerAuth: [] }];

/**
 * A path parameter checked by a plain zod string schema (those in workflows/ cannot carry OpenAPI
 * metadata): documented as a string with that schema's pattern, so clients and fuzzers send what it accepts.
 */
export function pathParam(name: string, schema: z.ZodType<string, string>, example: string) {
  const { pattern } = z.toJSONSchema(schema) as { pattern?: string };
  return z
    .string()
    .meta({ param: { name, in: "path" }, example, ...(pattern ? { pattern } : {}) })
    .pipe(schema);
}

/** A router whose validation failures are problem+json, as every router of the API. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/** Every tag an operation may carry, described once: tools group the operations by them. */
export const apiTags = [
  { name: "System", description: "Liveness and what this process runs on." },
  {
    name: "Accounts",
    description: "Customer companies: tier, ARR, licenses, lifecycle stage, owner CSM, attributes.",
  },
  { name: "Contacts", description: "The people at an account who receive touches, by role." },
  {
    name: "Events",
    description: "Product usage and business events of accounts, ingested in batches; idempotent by `id`.",
  },
  {
    name: "Journeys",
    description:
      "Journeys as code: save a draft, publish immutable versions, pause, resume, archive, simulate, per-step stats. The definition is the `JourneyDefinition` schema.",
  },
  {
    name: "Enrollments",
    description: "An account's run through one journey version, with its decision trace.",
  },
  {
    name: "Escalations",
    description: "Accounts handed to a CSM, with an SLA: acknowledge, resolve, reassign.",
  },
  {
    name: "Health",
    description: "The health scorecard, computed scores and bands per account, and band alerts.",
  },
  { name: "CSMs", description: "Customer Success Managers: capacity, tiers served, open load." },
  { name: "Templates", description: "Handlebars email and in-app templates, with preview." },
  {
    name: "Outbox",
    description: "Email written to local files when no SMTP server is configured (development).",
  },
  {
    name: "Settings",
    description: "The workspace's delivery policy, notifications and webhook signing secret.",
  },
  { name: "Workspace", description: "The workspace's identity: names, sender, brand, postal address." },
  {
    name: "People",
    description: "Who signs in to the console, and their role (admin, cs_ops, csm, viewer).",
  },
  { name: "Retention", description: "Renewal outcomes per account and the GRR/NRR report." },
  {
    name: "In-app",
    description:
      "The in-app widget: its publishable key, and the messages it shows a contact (public, signed with an HMAC of the contact id).",
  },
];

/** The document's top level; `publicUrl` is where clients reach this API (`VOLANTE_PUBLIC_URL`). */
export function apiDocumentConfig(publicUrl: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Volante API",
      version: "0.1.0",
      description: "Customer engagement journeys for Customer Success teams, run durably on Temporal.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    servers: [{ url: publicUrl, description: "This Volante (VOLANTE_PUBLIC_URL)" }],
    tags: apiTags,
  };
}

/**
 * Components no route schema produces itself: the API key scheme, and the journey language, whose
 * JSON Schema comes from its zod schema (zod-to-openapi cannot walk its recursive `Condition`).
 */
export function registerSharedComponents(app: App) {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "A workspace API key (`vk_…`).",
  });
  for (const [id, schema] of Object.entries(journeyDefinitions("#/components/schemas/"))) {
    app.openAPIRegistry.registerComponent("schemas", id, schema);
  }
}
