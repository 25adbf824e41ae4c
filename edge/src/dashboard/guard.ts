/**
 * The dashboard's gates, in the order they run:
 *   1. securityHeaders  a strict Content-Security-Policy (scripts and styles from this origin only, no inline
 *                       code at all, so markup injected through job data could not run even if it were ever
 *                       rendered unescaped), no framing, no caching, no sniffing
 *   2. sameOrigin       every POST must carry an Origin header naming this origin (browsers always send it on
 *                       form posts and fetches); a cross-site form post is refused before anything is read
 *   3. requireSession   a valid session cookie; pages without one redirect to the sign-in form
 *   4. requireCsrf      on POST, the `_csrf` form field must be the token bound to that session
 */
import type { Context, MiddlewareHandler } from "hono";
import { OffloadError } from "../../../shared/src/index";
import type { AppEnv } from "../context";
import { contentSecurityPolicy } from "../csp";
import { readCookie } from "./cookie";
import { SESSION_COOKIE, sessionsFor, type Session } from "./session";

export interface DashboardEnv extends AppEnv {
  Variables: AppEnv["Variables"] & { session: Session; csrf: string; form: FormFields };
}

/** A parsed urlencoded form: every field as the list of its values. */
export type FormFields = Record<string, string[]>;

export const CSP = contentSecurityPolicy();

/** Forms here are a key, a token and at most a page of ids. */
const MAX_FORM_BYTES = 65_536;

export function securityHeaders(): MiddlewareHandler<DashboardEnv> {
  return async function securityHeaders(c, next) {
    await next();
    c.header("Content-Security-Policy", CSP);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("X-Frame-Options", "DENY");
    c.header("Referrer-Policy", "same-origin");
    c.header("Cache-Control", "no-store");
  };
}

/** Loopback hosts get a cookie without `Secure`, since `wrangler dev` serves plain HTTP there. */
export function isLocalhost(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

/** Refuses a POST whose Origin is absent or another site, and reads its urlencoded form (bounded). */
export function sameOrigin(): MiddlewareHandler<DashboardEnv> {
  return async function sameOrigin(c, next) {
    if (c.req.method !== "POST") return next();
    const origin = c.req.header("Origin");
    if (!origin || origin !== new URL(c.req.url).origin) {
      throw new OffloadError("forbidden", "This form was not sent from the dashboard (Origin check failed)");
    }
    c.set("form", await readForm(c));
    await next();
  };
}

async function readForm(c: Context<DashboardEnv>): Promise<FormFields> {
  const type = c.req.header("Content-Type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) {
    throw new OffloadError("unsupported_media_type", "Dashboard actions are sent as forms");
  }
  const declared = Number(c.req.header("Content-Length") ?? "0");
  if (declared > MAX_FORM_BYTES) throw new OffloadError("payload_too_large", `The form is larger than ${MAX_FORM_BYTES} bytes`);
  const text = await c.req.text();
  if (text.length > MAX_FORM_BYTES) throw new OffloadError("payload_too_large", `The form is larger than ${MAX_FORM_BYTES} bytes`);
  const fields: FormFields = {};
  for (const [name, value] of new URLSearchParams(text)) (fields[name] ??= []).push(value);
  return fields;
}

/** Pages redirect to the sign-in form without a session; actions are refused. Sets `session` and `csrf`. */
export function requireSession(): MiddlewareHandler<DashboardEnv> {
  return async function requireSession(c, next) {
    const sessions = sessionsFor(c.var.config.adminApiKeys);
    const session = await sessions.verify(readCookie(c.req.header("Cookie"), SESSION_COOKIE));
    if (!session) {
      if (c.req.method === "GET") return c.redirect("/dashboard/sign-in", 303);
      throw new OffloadError("forbidden", "Your session has expired; sign in again");
    }
    c.set("session", session);
    c.set("csrf", await sessions.csrfToken(session));
    if (c.req.method === "POST" && !(await sessions.checkCsrf(session, c.var.form._csrf?.[0]))) {
      throw new OffloadError("forbidden", "The form's CSRF token is missing or belongs to another session; reload the page and try again");
    }
    await next();
  };
}
