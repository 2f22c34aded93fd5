import { z } from "zod";
import { decodeCursor, encodeCursor } from "./pagination";

/** An IANA time zone name the runtime knows, e.g. Asia/Tokyo. */
export const TimeZone = z
  .string()
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "must be an IANA time zone such as Asia/Tokyo")
  .meta({ example: "Asia/Tokyo" });

/** A BCP 47 language tag, e.g. en or ja-JP. */
export const Locale = z
  .string()
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "must be a BCP 47 language tag such as en or ja-JP");

/** An external id: what the customer's own systems call the thing. */
export const ExternalId = z
  .string()
  .min(1)
  .max(200)
  // Control characters (NUL above all) cannot be stored, and no system names things with them.
  .regex(/^[^\s/\p{Cc}\p{Cs}]+$/u, "must not contain spaces, slashes or control characters")
  // The same class without `\p{…}`, which OpenAPI tools that are not JavaScript (schemathesis) cannot read.
  .meta({ pattern: "^[^\\s/\\u0000-\\u001f\\u007f-\\u009f]+$" });

/** Most an attributes object may weigh as JSON: every list page carries it for each row. */
export const MAX_ATTRIBUTES_BYTES = 64 * 1024;
/** Most keys an attributes object may have at its top level. */
export const MAX_ATTRIBUTE_KEYS = 256;
/** How deep attributes may nest: facts and branches read them, and none reads deeper. */
export const MAX_ATTRIBUTES_DEPTH = 8;

/**
 * Why an attributes object (or an event's properties) is too big to keep, or undefined: at most
 * `MAX_ATTRIBUTES_BYTES` as JSON, `MAX_ATTRIBUTE_KEYS` keys and `MAX_ATTRIBUTES_DEPTH` levels. A 7 MB
 * attribute once made every account list weigh 10 MB.
 */
export function attributesProblem(attributes: Record<string, unknown>): string | undefined {
  if (Object.keys(attributes).length > MAX_ATTRIBUTE_KEYS)
    return `must have at most ${MAX_ATTRIBUTE_KEYS} keys`;
  const depth = depthOf(attributes);
  // Deeper than any request may nest is refused by `storableText`, at the very place: said once, and
  // never serialized here (JSON.stringify recurses).
  if (depth >= MAX_JSON_DEPTH) return undefined;
  if (depth > MAX_ATTRIBUTES_DEPTH)
    return `must not nest objects and arrays more than ${MAX_ATTRIBUTES_DEPTH} levels deep`;
  if (Buffer.byteLength(JSON.stringify(attributes), "utf8") > MAX_ATTRIBUTES_BYTES)
    return `must be at most ${MAX_ATTRIBUTES_BYTES / 1024} KiB as JSON`;
  return undefined;
}

/** Levels of objects and arrays in `value` (1 for a flat object), walked with its own stack. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    if (typeof item.value !== "object" || item.value === null) continue;
    const depth = item.depth + 1;
    deepest = Math.max(deepest, depth);
    // Past the request limit is all the answer needs (and keeps a hostile nesting's walk short).
    if (depth >= MAX_JSON_DEPTH) return depth;
    for (const inner of Object.values(item.value)) stack.push({ value: inner, depth });
  }
  return deepest;
}

export const Attributes = z
  .record(z.string().max(200), z.unknown())
  .superRefine((attributes, ctx) => {
    const problem = attributesProblem(attributes);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .meta({
    description: `Free-form facts: at most ${MAX_ATTRIBUTES_BYTES / 1024} KiB as JSON, ${MAX_ATTRIBUTE_KEYS} keys, ${MAX_ATTRIBUTES_DEPTH} levels`,
    example: { plan: "business", region: "apac" },
  });

/** A calendar date Postgres can store: it has no year 0 (which the ISO format allows). */
export const IsoDate = z.iso
  .date()
  .refine((date) => !date.startsWith("0000"), "must fall in the years 0001–9999")
  .meta({ example: "2027-03-31" });

/** The largest value of a Postgres `integer` column. */
export const MAX_INT4 = 2_147_483_647;

/** The largest amount a `numeric(14,2)` column (ARR) holds. */
export const MAX_AMOUNT = 999_999_999_999.99;

type Path = (string | number)[];

/** How deep request JSON may nest: far beyond real attributes, well within what Postgres parses. */
export const MAX_JSON_DEPTH = 32;

export const unstorableTextMessage = "must not contain NUL (\\u0000) characters or unpaired surrogates";
export const tooDeepMessage = `must not nest objects and arrays more than ${MAX_JSON_DEPTH} levels deep`;

/**
 * Where a JSON value holds what Postgres cannot store: a NUL character (refused by `text` and
 * `jsonb`) or a lone UTF-16 surrogate (refused by `jsonb`), in a string or an object key; or
 * nesting deeper than `MAX_JSON_DEPTH`. Walks with its own stack, so no depth can overflow it.
 */
export function unstorableJson(value: unknown): { path: Path; message: string }[] {
  const problems: { path: Path; message: string }[] = [];
  // Children are pushed in reverse so problems come out in document order.
  const stack: { value: unknown; path: Path; key?: string }[] = [{ value, path: [] }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { path } = item;
    if (item.key !== undefined && !isStorableText(item.key))
      problems.push({ path, message: unstorableTextMessage });
    if (typeof item.value === "string") {
      if (!isStorableText(item.value)) problems.push({ path, message: unstorableTextMessage });
      continue;
    }
    if (typeof item.value !== "object" || item.value === null) continue;
    if (path.length >= MAX_JSON_DEPTH) {
      problems.push({ path, message: tooDeepMessage });
      continue;
    }
    const entries: [string | number, unknown][] = Array.isArray(item.value)
      ? item.value.map((inner, index) => [index, inner])
      : Object.entries(item.value);
    for (const [key, inner] of entries.reverse()) {
      stack.push({ value: inner, path: [...path, key], ...(typeof key === "string" ? { key } : {}) });
    }
  }
  return problems;
}

function isStorableText(text: string): boolean {
  // With the `u` flag a paired surrogate is one code point, so \p{Cs} matches only lone halves.
  return !text.includes("\u0000") && !/\p{Cs}/u.test(text);
}

/**
 * Adds the check every request body that reaches the database needs: no string anywhere in it
 * (nested attributes and properties too) that Postgres would refuse with a 500, and no nesting
 * deeper than it parses.
 */
export function storableText<T extends z.ZodType>(schema: T): T {
  return schema.superRefine((value, ctx) => {
    for (const { path, message } of unstorableJson(value)) {
      ctx.addIssue({ code: "custom", path, message });
    }
  }) as T;
}

/** Most steps a journey may have: far beyond any playbook, and validating 30,000 took minutes. */
export const MAX_JOURNEY_STEPS = 500;

/**
 * How the API document shows a journey definition that is validated loosely here: as the journey
 * language's schema (the `JourneyDefinition` component, generated from workflows/journey/schema.ts),
 * so client generators and editors know its shape.
 */
export const documentedAsJourneyDefinition = {
  type: "object",
  allOf: [{ $ref: "#/components/schemas/JourneyDefinition" }],
} as const;

/**
 * A journey definition as sent (a draft may be incomplete, so the journey validator reads it later),
 * bounded here: text Postgres can store, and at most `MAX_JOURNEY_STEPS` steps.
 */
export const JourneyBody = storableText(
  z.record(z.string(), z.unknown()).superRefine((body, ctx) => {
    const { steps } = body;
    if (Array.isArray(steps) && steps.length > MAX_JOURNEY_STEPS) {
      ctx.addIssue({ code: "custom", path: ["steps"], message: `at most ${MAX_JOURNEY_STEPS} steps` });
    }
  }),
).meta(documentedAsJourneyDefinition);

/**
 * An ISO-8601 instant with an offset that Postgres can store: years 0001–9999 in UTC (Postgres has
 * no year 0, and a far year is a typo, not an event).
 */
export const Instant = z.iso.datetime({ offset: true }).refine((value) => {
  const year = new Date(value).getUTCFullYear();
  // Not a date at all is the format check's to report.
  return Number.isNaN(year) || (year >= 1 && year <= 9999);
}, "must fall in the years 0001–9999 (UTC)");

/** A `nextCursor` of a list in externalId order; anything else is refused rather than read as garbage. */
export const ExternalIdCursor = z
  .string()
  .refine((cursor) => {
    const parts = decodeCursor(cursor) ?? [];
    const [key] = parts;
    return parts.length === 1 && encodeCursor(...parts) === cursor && ExternalId.safeParse(key).success;
  }, "is not a cursor returned by this list")
  .meta({ description: "`nextCursor` of the previous page" });
