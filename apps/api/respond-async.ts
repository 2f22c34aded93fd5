import { z } from "@hono/zod-openapi";

// Long bulk runs answer 202 with an operation to follow; a client may ask for that whatever the size.

/** The `Prefer` request header (RFC 7240), documented on the routes that honour `respond-async`. */
export const PreferHeader = z.object({
  prefer: z.string().max(500).optional().meta({
    description:
      "`respond-async` (RFC 7240): answer 202 with a bulk operation to follow at once, whatever the number of accounts",
    example: "respond-async",
  }),
});

/** Whether a `Prefer` header asks for `respond-async` (one of its comma-separated preferences). */
export function prefersAsync(header: string | undefined): boolean {
  return (header ?? "")
    .split(",")
    .some((preference) => preference.split(/[;=]/)[0]?.trim().toLowerCase() === "respond-async");
}

/** Where a client follows a bulk operation. */
export function bulkOperationPath(id: string): string {
  return `/v1/bulk-operations/${id}`;
}
