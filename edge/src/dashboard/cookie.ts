/**
 * The one cookie the dashboard uses, read and written by hand: hono/cookie's general parser and serializer
 * (prefixes, partitioned, priority, signing) cost ~1 KB of the gzipped bundle for a single fixed cookie.
 */
export interface CookieAttributes {
  path: string;
  secure: boolean;
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
}

/** The value of `name` in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A Set-Cookie value: always HttpOnly and SameSite=Strict. `value` must be cookie-safe (base64url here). */
export function sessionCookie(name: string, value: string, attributes: CookieAttributes): string {
  return [`${name}=${value}`, `Max-Age=${attributes.maxAge}`, `Path=${attributes.path}`, "HttpOnly", "SameSite=Strict", ...(attributes.secure ? ["Secure"] : [])].join("; ");
}
