/**
 * One POST, on node:http(s) rather than fetch because it takes a per-request `lookup`: the connection goes to
 * the addresses resolve-guard vetted, while the Host header, TLS SNI and certificate check still use the URL's
 * host name. Redirects are never followed (node:http has no redirect logic at all).
 *
 * No connection reuse (`agent: false`): each delivery opens a socket to an address vetted for that delivery, and
 * a retry never inherits a half-closed keep-alive socket from the attempt that failed.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";

/** How much of a failed response's body is kept for the error message. */
export const BODY_EXCERPT_BYTES = 1024;

export interface DeliveryRequest {
  url: URL;
  body: string;
  headers: Record<string, string>;
  /** Usually `pinnedLookup(vettedAddresses)`. */
  lookup: LookupFunction;
  signal: AbortSignal;
}

export interface DeliveryResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** First BODY_EXCERPT_BYTES of the body, decoded as UTF-8; empty for 2xx (the body is not read). */
  bodyExcerpt: string;
}

/**
 * Resolves once the status line and headers arrive; rejects on connection errors and on abort (with the
 * signal's abort error as is, so the caller can tell the two apart via `signal.aborted`).
 * @example
 * const response = await postOnce({ url, body, headers, lookup: pinnedLookup(addresses), signal });
 */
export function postOnce(request: DeliveryRequest): Promise<DeliveryResponse> {
  const send = request.url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // Once the status line is in, the attempt's outcome is decided; closing the socket early is not a failure.
    let responded = false;
    const req = send(
      request.url,
      {
        method: "POST",
        headers: { ...request.headers, "content-length": String(Buffer.byteLength(request.body)) },
        lookup: request.lookup,
        signal: request.signal,
        agent: false,
      },
      (res) => {
        responded = true;
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          // Delivered: drain the body in the background so the receiver is not cut off, but do not wait for it.
          res.on("error", () => {});
          res.resume();
          resolve({ status, headers: res.headers, bodyExcerpt: "" });
          return;
        }
        void readExcerpt(res).then((bodyExcerpt) => resolve({ status, headers: res.headers, bodyExcerpt }));
      },
    );
    req.on("error", (error) => {
      if (!responded) reject(request.signal.aborted ? error : describeNetworkError(request.url, error));
    });
    req.end(request.body);
  });
}

/** Reads at most BODY_EXCERPT_BYTES and then closes the response; a body cut short still yields what arrived. */
async function readExcerpt(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= BODY_EXCERPT_BYTES) break; // leaving the loop destroys the stream
    }
  } catch {
    // Keep what arrived.
  }
  // `stream: true` holds back a multi-byte character cut in half instead of emitting U+FFFD for it.
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, BODY_EXCERPT_BYTES), { stream: true });
}

/** Connection errors as one line; Node 20's happy-eyeballs connect reports several at once as AggregateError. */
function describeNetworkError(url: URL, error: Error): Error {
  const details =
    error instanceof AggregateError && error.errors.length
      ? error.errors.map((inner: Error) => inner.message).join("; ")
      : error.message || (error as NodeJS.ErrnoException).code || error.name;
  return new Error(`could not deliver to ${url.host}: ${details}`, { cause: error });
}
