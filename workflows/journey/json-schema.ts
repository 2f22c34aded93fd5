import { z } from "zod";
import { JourneyDefinition } from "./schema";

/**
 * The journey language as JSON Schema (draft 2020-12), generated from the zod schema: what an author
 * writes (defaults not required). `npm run gen` writes it to `schemas/journey.schema.json` for
 * editors; the API document carries its definitions as components.
 */
export type JourneyJsonSchema = {
  $schema: string;
  $ref: string;
  $defs: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
};

/** Where the generated file lives, relative to the repository root; playbooks name it in `$schema`. */
export const JOURNEY_SCHEMA_FILE = "schemas/journey.schema.json";

export function journeyJsonSchema(): JourneyJsonSchema {
  const { $schema, ...generated } = z.toJSONSchema(JourneyDefinition, {
    io: "input",
    target: "draft-2020-12",
  });
  return { $schema, title: "Volante journey", ...generated } as JourneyJsonSchema;
}

/** The schema's definitions with their references pointed at `prefix` (e.g. `#/components/schemas/`). */
export function journeyDefinitions(prefix: string): Record<string, Record<string, unknown>> {
  const { $defs } = journeyJsonSchema();
  return JSON.parse(JSON.stringify($defs).replaceAll('"#/$defs/', `"${prefix}`));
}
