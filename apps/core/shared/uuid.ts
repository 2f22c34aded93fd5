const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether an id from a request is a UUID in its usual form: anything else can name no row, and
 * comparing it with a `uuid` column would make Postgres fail the query.
 */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}
