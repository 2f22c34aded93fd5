import type { JourneyJsonSchema } from "../workflows/journey/json-schema";

/**
 * The journey language reference (docs/guide/journey-reference.md), written from the JSON Schema's
 * descriptions and rules, so the reference says what the validator checks and nothing else.
 */

type Node = {
  $ref?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: Node[];
  oneOf?: Node[];
  items?: Node;
  properties?: Record<string, Node>;
  required?: string[];
  additionalProperties?: boolean | Node;
  description?: string;
  default?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
};

/** Sections in reading order: the document, then what it is made of. */
const order = [
  "JourneyDefinition",
  "Trigger",
  "Audience",
  "Reentry",
  "ExitCriterion",
  "Goal",
  "Step",
  "EmailStep",
  "InAppStep",
  "WaitStep",
  "WaitForEventStep",
  "BranchStep",
  "SplitStep",
  "EscalateStep",
  "SetStageStep",
  "WebhookStep",
  "ExitStep",
  "Condition",
  "Comparison",
];

const nameOf = (ref: string) => ref.slice(ref.lastIndexOf("/") + 1);
const anchor = (name: string) => `[${name}](#${name.toLowerCase()})`;
const code = (value: unknown) => `\`${JSON.stringify(value)}\``;
const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

function range(min: number | undefined, max: number | undefined, unit: string): string {
  if (min !== undefined && max !== undefined) return `${min}–${max}${unit}`;
  if (min !== undefined) return `at least ${min}${unit}`;
  if (max !== undefined) return `at most ${max}${unit}`;
  return "";
}

/** One node's type, in words: `string, 1–200 characters`, `array of [Step](#step), at least 1`. */
function typeOf(node: Node): string {
  if (node.$ref) return anchor(nameOf(node.$ref));
  if (node.const !== undefined) return code(node.const);
  if (node.enum) return node.enum.map(code).join(" | ");
  const variants = node.anyOf ?? node.oneOf;
  if (variants) return variants.map(typeOf).join(" or ");
  if (node.type === "array") {
    const count = range(node.minItems, node.maxItems, "");
    return `array of ${node.items ? typeOf(node.items) : "anything"}${count ? ` (${count})` : ""}`;
  }
  if (node.type === "string") {
    const rules = [
      node.format ? `${node.format}` : "",
      node.pattern && !node.format ? `matching \`${node.pattern}\`` : "",
      node.minLength === 1 && node.maxLength === undefined
        ? "not empty"
        : range(node.minLength, node.maxLength, " characters"),
    ].filter(Boolean);
    return rules.length ? `string (${rules.join(", ")})` : "string";
  }
  if (node.type === "integer" || node.type === "number") {
    const bounds = range(node.minimum, node.maximum, "");
    return bounds ? `${node.type} ${bounds}` : node.type;
  }
  if (node.type === "object" && !node.properties) return "object (any JSON)";
  if (Array.isArray(node.type)) return node.type.join(" or ");
  return node.type ?? "any JSON value";
}

/** Table rows for an object's properties; inline objects add rows for their own properties (`until.fact`). */
function rows(node: Node, prefix = ""): string[] {
  const required = new Set(node.required ?? []);
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => {
    const name = `${prefix}${key}`;
    const inner = child.type === "array" && child.items?.properties ? child.items : child;
    const nested =
      inner.properties && !inner.$ref ? rows(inner, `${name}${inner === child ? "" : "[]"}.`) : [];
    const needed = required.has(key)
      ? "yes"
      : child.default !== undefined
        ? `no (default ${code(child.default)})`
        : "no";
    const type =
      inner.properties && !inner.$ref ? (inner === child ? "object" : "array of objects") : typeOf(child);
    return [`| \`${name}\` | ${cell(type)} | ${needed} | ${cell(child.description ?? "")} |`, ...nested];
  });
}

function table(node: Node): string {
  return ["| Field | Type | Required | Meaning |", "|---|---|---|---|", ...rows(node)].join("\n");
}

function section(name: string, node: Node): string {
  const parts = [`## ${name}`, node.description ?? ""];
  const variants = node.oneOf ?? node.anyOf;
  if (node.properties) parts.push(table(node));
  else if (variants?.every((v) => v.$ref)) {
    parts.push(variants.map((v) => `- ${typeOf(v)}`).join("\n"));
  } else if (variants) {
    for (const variant of variants) {
      if (variant.$ref) {
        parts.push(`### ${nameOf(variant.$ref)}`, `See ${typeOf(variant)}.`);
        continue;
      }
      const kind = variant.properties?.type?.const ?? variant.properties?.policy?.const;
      const title =
        kind !== undefined ? `\`${String(kind)}\`` : Object.keys(variant.properties ?? {}).join(", ");
      parts.push(
        `### ${title}`,
        variant.description ?? "",
        variant.properties ? table(variant) : typeOf(variant),
      );
    }
  }
  return parts.filter(Boolean).join("\n\n");
}

export function journeyReference(schema: JourneyJsonSchema): string {
  const defs = schema.$defs as Record<string, Node>;
  const names = [...order.filter((n) => defs[n]), ...Object.keys(defs).filter((n) => !order.includes(n))];
  return `${[
    "# Journey language reference",
    "<!-- Generated by `npm run gen` from workflows/journey/schema.ts; edit the schema's descriptions, not this file. -->",
    "A journey is a JSON document. Its JSON Schema is [`schemas/journey.schema.json`](../../schemas/journey.schema.json): " +
      'put `"$schema": "<relative path to it>"` at the top of a file and editors such as VS Code check and complete it as you type. ' +
      "Saving a draft (`PUT /v1/journeys/{key}`) accepts an incomplete journey and lists its problems; publishing refuses any. " +
      "Beyond this schema, publishing also checks: step ids are unique, every step named in `next`, `then`, `else`, `onTimeout` and " +
      "split branches exists, every step is reachable, no loop runs without a wait, split percentages add up to 100, durations are " +
      "ISO-8601, templates exist for the step's channel and every variable they use is available, a `touch.<stepId>.*` fact names an " +
      "email or in_app step that can have run before, an `escalation.<stepId>.resolution` fact names an escalate step with " +
      "`waitForResolution`, a comparison's value suits its fact, and the goal event is not also an `exitWhen` event.",
    "Durations are ISO-8601: `P3D` (3 days), `PT12H` (12 hours), `P1W`, `P1M`.",
    ...names.map((name) => section(name, defs[name] as Node)),
  ].join("\n\n")}\n`;
}
