/**
 * 415 unless the request declares a JSON body. Checked before the body is read, so a form upload or a text
 * body is refused without parsing, and the JSON validator after it never silently skips a non-JSON body.
 */
import type { MiddlewareHandler } from "hono";
import { OffloadError } from "../../../shared/src/index";
import type { AppEnv } from "../context";

export interface RequireJsonOptions {
  /** Media types accepted, matched on the part before any `;` parameters. Default: JSON and `+json` types. */
  accept?: RegExp;
}

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * @example
 * route.post("/v1/jobs/:name", requireJson(), handler);
 */
export function requireJson(options: RequireJsonOptions = {}): MiddlewareHandler<AppEnv> {
  const { accept = JSON_MEDIA_TYPE } = options;
  return async function requireJson(c, next) {
    const contentType = c.req.header("Content-Type") ?? "";
    const mediaType = contentType.split(";")[0]!.trim();
    if (!accept.test(mediaType)) {
      throw new OffloadError(
        "unsupported_media_type",
        contentType ? `Send JSON (Content-Type: application/json), not ${mediaType.slice(0, 100)}` : "Send JSON with Content-Type: application/json",
      );
    }
    await next();
  };
}
