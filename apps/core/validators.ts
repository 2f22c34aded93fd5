import { z } from "@hono/zod-openapi";

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
  .openapi({ example: "Asia/Tokyo" });

/** An external id: what the customer's own systems call the thing. */
export const ExternalId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\s/]+$/, "must not contain spaces or slashes");

export const Attributes = z
  .record(z.string(), z.unknown())
  .openapi({ example: { plan: "business", region: "apac" } });

export const IsoDate = z.iso.date().openapi({ example: "2027-03-31" });
