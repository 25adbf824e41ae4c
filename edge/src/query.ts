/** Query-string values shared by the routes that page or filter: whole numbers within bounds, ISO times. */
import { z } from "@hono/zod-openapi";

/**
 * A whole number from the query string, `fallback` when absent.
 * @example
 * z.strictObject({ limit: wholeQuery(50, 1, 500) }) // "?limit=20" → 20, "?limit=0" → 400 at query.limit
 */
export const wholeQuery = (fallback: number, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .default(fallback);

/** An ISO 8601 date-time with a zone (`2030-01-01T09:00:00Z`), as ms since the epoch. */
export const isoTimeQuery = z.iso
  .datetime({ offset: true, error: "expected an ISO 8601 date-time with a time zone, e.g. 2030-01-01T09:00:00Z" })
  .transform((text) => Date.parse(text));
