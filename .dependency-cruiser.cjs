/**
 * The layers of Volante (README "Architecture", docs/decisions/0018-core-by-feature.md), enforced in CI
 * by `npm run lint:deps`: api, worker and cli → core → db and the pure journey code under workflows/.
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle ties features together; move the shared piece down (shared/ or db/).",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-without-http",
      severity: "error",
      comment: "Core is the use cases, not HTTP: OpenAPI metadata and statuses live in apps/api.",
      from: { path: "^apps/core/" },
      to: { path: "(^|/)node_modules/(hono|@hono)/" },
    },
    {
      name: "core-without-edges",
      severity: "error",
      comment: "Core is called by the API, the worker and the CLI; it imports none of them.",
      from: { path: "^apps/core/" },
      to: { path: "^apps/(api|worker|cli|console)/" },
    },
    {
      name: "core-without-activity-context",
      severity: "error",
      comment: "Core takes what it needs from Temporal's activity context (attempt, heartbeat) as arguments.",
      from: { path: "^apps/core/" },
      to: { path: "(^|/)node_modules/@temporalio/(activity|worker)/" },
    },
    {
      name: "routes-without-sql",
      severity: "error",
      comment: "A route validates, calls one core use case and maps the result; SQL lives in core.",
      from: { path: "^apps/api/routes/" },
      to: { path: "^db/|(^|/)node_modules/drizzle-orm/" },
    },
    {
      name: "routes-without-routes",
      severity: "error",
      comment: "A route never imports another route: what two routes share is a core use case.",
      from: { path: "^apps/api/routes/([^/]+)" },
      to: { path: "^apps/api/routes/", pathNot: "^apps/api/routes/$1" },
    },
    {
      name: "workflows-deterministic",
      severity: "error",
      comment: "Workflow code never imports apps/, db/ or a database driver; I/O is an activity's.",
      from: { path: "^workflows/" },
      to: { path: "^(apps|db)/|(^|/)node_modules/(drizzle-orm|postgres|@electric-sql)/" },
    },
    {
      name: "workflows-through-contracts",
      severity: "error",
      comment:
        "apps/ talks to workflows through workflows/contracts.ts (ids, signals, types); the pure journey language under workflows/journey/ is shared code.",
      from: { path: "^(apps|tests|bench)/", pathNot: "^bench/workflows/" },
      to: { path: "^workflows/", pathNot: "^workflows/(contracts|journey/)" },
    },
    {
      name: "production-without-bench",
      severity: "error",
      comment: "The bench's workflows and activities are registered by the bench's own worker only.",
      from: { path: "^(apps|workflows|db)/" },
      to: { path: "^bench/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^db/migrations/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
    },
  },
};
