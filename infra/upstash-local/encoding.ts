/**
 * Turns a raw RESP2 reply into the JSON value Upstash would put in `result`.
 *
 * Shapes (checked against the @upstash/redis 1.39 decoder and the Upstash REST docs):
 * - integer → JSON number (exact digits, see json-text.ts); nil → `null`; array → JSON array, nested as Redis
 *   nested it (HGETALL and ZRANGE WITHSCORES stay flat, scores stay strings, as in RESP2).
 * - strings (bulk and simple alike) → UTF-8 text by default, with invalid bytes replaced by U+FFFD as Upstash
 *   does; with `Upstash-Encoding: base64`, → base64 of the raw bytes.
 * - the one exception under base64: a top-level "OK" is sent as plain `"OK"`. The client special-cases exactly
 *   that (`raw === "OK" ? "OK" : base64decode(raw)`), but decodes every string inside an array, so an "OK" nested
 *   in an array (a Lua status reply, say) must be base64 like any other string.
 * - an error nested inside an array (a Lua table holding `redis.error_reply`) becomes its message, encoded like
 *   any string. Upstash does not document this case; a string is what its decoder passes through unharmed.
 *
 * Simple and bulk strings reach us alike (ioredis gives both as Buffers), so a bulk string whose bytes are "OK"
 * is also sent plain; the client decodes both to "OK", so nothing can tell the difference.
 */
import { JsonInteger, type JsonValue } from "./json-text";
import type { RawReply } from "./raw-command";

export type ResponseEncoding = "base64" | "utf8";

const OK = Buffer.from("OK");
const INTEGER = /^-?\d+$/;

/**
 * Encodes the reply of one command (a whole response, one pipeline entry, or one transaction entry).
 *
 * @example
 * encodeResult(Buffer.from("bar"), "base64"); // "YmFy"
 * encodeResult(Buffer.from("OK"), "base64"); // "OK"
 * encodeResult([Buffer.from("a"), "1", null], "base64"); // ["YQ==", JsonInteger("1"), null]
 */
export function encodeResult(reply: RawReply, encoding: ResponseEncoding): JsonValue {
  if (encoding === "base64" && Buffer.isBuffer(reply) && reply.equals(OK)) return "OK";
  return encodeValue(reply, encoding);
}

function encodeValue(reply: RawReply, encoding: ResponseEncoding): JsonValue {
  if (reply === null) return null;
  if (Array.isArray(reply)) return reply.map((item) => encodeValue(item, encoding));
  // With `stringNumbers`, a JS string from ioredis is always an integer reply: strings arrive as Buffers.
  if (typeof reply === "string") return INTEGER.test(reply) ? new JsonInteger(reply) : reply;
  if (reply instanceof Error) return encodeBytes(Buffer.from(reply.message), encoding);
  return encodeBytes(reply, encoding);
}

function encodeBytes(bytes: Buffer, encoding: ResponseEncoding): string {
  return encoding === "base64" ? bytes.toString("base64") : bytes.toString("utf8");
}
