/**
 * Token check, as Upstash does it: `Authorization: Bearer <token>`, or the `_token` query parameter.
 *
 * Both sides are hashed before `timingSafeEqual`: it needs equal lengths, and checking lengths first would
 * tell a caller how long the token is. Comparing two SHA-256 digests in constant time leaks neither.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/**
 * @example
 * const isAuthorized = tokenCheck("dev-token");
 * isAuthorized({ authorization: "Bearer dev-token" }, new URL("http://x/get/k")); // true
 * isAuthorized({}, new URL("http://x/get/k?_token=dev-token")); // true
 */
export function tokenCheck(token: string): (headers: IncomingHttpHeaders, url: URL) => boolean {
  const expected = digest(token);
  return function isAuthorized(headers, url) {
    const presented = bearerToken(headers.authorization) ?? url.searchParams.get("_token") ?? undefined;
    return presented !== undefined && timingSafeEqual(digest(presented), expected);
  };
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim();
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
