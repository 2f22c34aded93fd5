import { isUuid } from "./uuid";

/**
 * Most rows a page of accounts or contacts may hold: each carries attributes of up to 64 KiB, so a
 * page stays within about 13 MB. Asking for more is a 400 naming `limit`, as any bad query is.
 */
export const MAX_ATTRIBUTES_PAGE = 200;

/** Opaque keyset cursors: the sort key of the last row of a page, base64url-encoded. */
export function encodeCursor(...parts: string[]): string {
  return Buffer.from(parts.join("\u0000"), "utf8").toString("base64url");
}

/** The parts of a cursor, or undefined when there is none. */
export function decodeCursor(cursor: string | undefined): string[] | undefined {
  return cursor ? Buffer.from(cursor, "base64url").toString("utf8").split("\u0000") : undefined;
}

/** Splits the `limit + 1` rows a query fetched into a page and the cursor of the next one. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  keyOf: (row: Row) => string[],
  map: (row: Row) => Item,
): { data: Item[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    data: page.map(map),
    nextCursor: rows.length > limit && last ? encodeCursor(...keyOf(last)) : null,
  };
}

/** A query parameter that parsed but makes no sense (a forged cursor); the API answers 400 naming it. */
export class InvalidQueryError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
    this.name = "InvalidQueryError";
  }
}

/**
 * A (time, uuid) cursor for newest-first lists, validated: only what `toPage` wrote (an ISO instant
 * in the years Postgres stores and a UUID), so a forged one is a 400, never a failed query.
 */
export function decodeTimeCursor(cursor: string | undefined): { at: Date; id: string } | undefined {
  const parts = decodeCursor(cursor);
  if (!parts) return undefined;
  const [at = "", id = ""] = parts;
  const date = new Date(at);
  const year = date.getUTCFullYear();
  const wellFormed =
    parts.length === 2 &&
    !Number.isNaN(year) &&
    year >= 1 &&
    year <= 9999 &&
    date.toISOString() === at &&
    isUuid(id) &&
    encodeCursor(at, id) === cursor;
  if (!wellFormed) throw new InvalidQueryError("cursor", "is not a cursor returned by this list");
  return { at: date, id };
}
