/**
 * The Content-Security-Policy of every HTML page the edge serves (the dashboard, `/docs`): this origin only, no
 * inline script at all, no framing, no `<base>`. Written once so the two pages cannot drift apart on what
 * "strict" means; a page that needs more names the one exception it makes.
 */

export interface CspExceptions {
  /** Allow inline styles. Swagger UI sets element styles from script and ships inline SVG styles. */
  inlineStyles?: boolean;
}

/**
 * @example
 * c.header("Content-Security-Policy", contentSecurityPolicy()); // "default-src 'none'; script-src 'self'; …"
 */
export function contentSecurityPolicy(exceptions: CspExceptions = {}): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    exceptions.inlineStyles ? "style-src 'self' 'unsafe-inline'" : "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
}
