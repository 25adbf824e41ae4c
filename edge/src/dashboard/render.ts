/** Sends a hono/jsx page as HTML with the doctype (without one, browsers render in quirks mode). */
import type { Context } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";

export async function render(c: Context, page: JSX.Element, status: 200 | 401 = 200): Promise<Response> {
  return c.html(`<!DOCTYPE html>${await page.toString()}`, status);
}
