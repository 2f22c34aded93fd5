import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { createApp } from "../apps/api/app";
import type { AppDeps } from "../apps/api/context";
import { apiDocumentConfig } from "../apps/api/openapi";
import { systemClock } from "../apps/core/shared/services";

/**
 * Writes the API's OpenAPI document to the file named on the command line, without a database,
 * Temporal or a server (`npm run lint:api` lints it). Building the routes reads only the clock (rate
 * limits) and the public URL; nothing here serves a request, so no other dependency is touched.
 */
const out = process.argv[2];
if (!out) throw new Error("usage: tsx scripts/openapi-document.ts <out.json>");
const publicUrl = "http://localhost:3000";
const app = createApp({ clock: systemClock, publicUrl } as AppDeps);
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(app.getOpenAPI31Document(apiDocumentConfig(publicUrl)), null, 2)}\n`);
