/**
 * Rejects bodies over a size limit with 413 without reading them whole: a declared Content-Length over the
 * limit is refused before any byte is read, and the stream is counted as it arrives (chunked uploads, or a
 * Content-Length that lies). Memory held is at most the limit.
 *
 * Past the limit, the rest of a chunked upload is read and thrown away (a chunk at a time, nothing kept) before
 * the 413 is sent. HTTP/1.1 can only reuse a connection whose request body was read to the end: a cancelled
 * chunked body leaves workerd (and wrangler's dev proxy in front of it) with a half-read request, and the *next*
 * request on that connection hung or got a plain-text 503 "Your worker restarted mid-request". A body with a
 * declared Content-Length over the limit is refused unread: the runtime knows where it ends and skips it.
 *
 * Cost: bandwidth and a little CPU per discarded chunk, up to `drainBytes`. The default is 100 MiB, the largest
 * body Cloudflare forwards to a Worker on its smallest plans, so in production the runtime's own limit comes
 * first; only a larger upload (possible locally) is cancelled, and its connection is not reused.
 */
import type { Context, MiddlewareHandler } from "hono";
import { OffloadError } from "../../../shared/src/index";
import type { AppEnv } from "../context";

export interface BodyLimitOptions {
  /** Bytes; a number or read per request (from config). Default 256 KiB. */
  maxBytes?: number | ((c: Context<AppEnv>) => number);
  /** Bytes past the limit read and discarded before cancelling the upload instead. Default 100 MiB. */
  drainBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 262_144;
export const DEFAULT_DRAIN_BYTES = 100 * 1024 * 1024;

const tooLarge = (maxBytes: number) =>
  new OffloadError("payload_too_large", `The request body is larger than ${maxBytes} bytes`);

/**
 * @example
 * route.post("/v1/jobs/:name", bodyLimit({ maxBytes: 65_536 }), handler);
 */
export function bodyLimit(options: BodyLimitOptions = {}): MiddlewareHandler<AppEnv> {
  const { maxBytes = DEFAULT_MAX_BODY_BYTES, drainBytes = DEFAULT_DRAIN_BYTES } = options;
  return async function bodyLimit(c, next) {
    const limit = typeof maxBytes === "function" ? maxBytes(c) : maxBytes;
    const declared = c.req.header("Content-Length");
    if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
    const body = c.req.raw.body;
    if (!body) return next();

    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await discard(reader, limit + drainBytes - size);
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    // Later readers (the JSON validator) get the counted bytes, not the consumed stream.
    c.req.raw = new Request(c.req.raw, { body: bytes });
    await next();
  };
}

/** Reads and drops the rest of the body, up to `budget` bytes; cancels the upload if it is longer than that. */
async function discard(reader: ReadableStreamDefaultReader<Uint8Array>, budget: number): Promise<void> {
  let left = budget;
  while (left >= 0) {
    const { done, value } = await reader.read();
    if (done) return;
    left -= value.byteLength;
  }
  await reader.cancel().catch(() => {});
}
