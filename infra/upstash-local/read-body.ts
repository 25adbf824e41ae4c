/**
 * Reads a request body into memory, refusing (413) anything over the limit. A declared Content-Length over
 * the limit is refused before reading a byte; a chunked body is refused as soon as it crosses the limit.
 *
 * On refusal the stream is paused, not destroyed: destroying it would take the socket down before the 413
 * could be written. The 413 carries `Connection: close`, so Node closes the socket once it is sent.
 */
import type { IncomingMessage } from "node:http";
import { HttpError } from "./http-error";

/**
 * @example
 * const body = await readBody(req, 10 * 1024 * 1024);
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(413, `ERR request body exceeds the ${maxBytes}-byte limit`, { connection: "close" });
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge());

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off("data", onData).off("end", onEnd).off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      stop();
      req.pause();
      reject(tooLarge());
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    req.on("data", onData).on("end", onEnd).on("error", onError);
  });
}
