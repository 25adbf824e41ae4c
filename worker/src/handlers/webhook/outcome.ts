/**
 * What a receiver's answer means for the job, in one place:
 * - 2xx: delivered.
 * - 3xx: dead at once. Redirects are not followed (a redirect could point anywhere, past the SSRF check, and
 *   receivers do not move between deliveries), and repeating the POST would get the same redirect every time.
 * - 429 with `Retry-After`: back-pressure (RateLimitedError): the whole webhook queue pauses that long (capped at
 *   maxRetryAfterMs) on every worker, and this job goes back in line without spending an attempt.
 * - 408, 5xx, and a 429 without `Retry-After`: retry with the job's backoff, or after `Retry-After` (capped at
 *   maxRetryAfterMs) when given.
 * - Any other status: dead at once; the receiver will keep refusing this payload.
 */
import type { IncomingHttpHeaders } from "node:http";
import { RateLimitedError, RetryAfterError, UnrecoverableError } from "../../job-errors";
import type { DeliveryResponse } from "./deliver";

export interface WebhookResult {
  /** The receiver's 2xx status. */
  status: number;
  /** From the start of the attempt (DNS included) to the response's status line. */
  durationMs: number;
}

export interface SettleOptions {
  durationMs: number;
  maxRetryAfterMs: number;
  now?: number;
}

/**
 * @example
 * settleResponse({ status: 204, headers: {}, bodyExcerpt: "" }, { durationMs: 42, maxRetryAfterMs: 3_600_000 })
 * // { status: 204, durationMs: 42 }; a 503 with Retry-After: 3 throws RetryAfterError(…, 3000), a 429 with it
 * // RateLimitedError(3000, …)
 */
export function settleResponse(response: DeliveryResponse, options: SettleOptions): WebhookResult {
  const { status } = response;
  if (status >= 200 && status < 300) return { status, durationMs: options.durationMs };
  const answered = `receiver answered ${status}`;
  const body = response.bodyExcerpt ? `: ${response.bodyExcerpt}` : " with an empty body";
  if (status >= 300 && status < 400) {
    const location = response.headers.location?.slice(0, 256) ?? "nowhere (no Location header)";
    throw new UnrecoverableError(`${answered} redirecting to ${location}; redirects are not followed, use the final URL`);
  }
  if (status === 408 || status === 429 || (status >= 500 && status < 600)) {
    const raw = response.headers["retry-after"];
    const askedMs = parseRetryAfter(raw, options.now ?? Date.now());
    if (askedMs === undefined) throw new Error(`${answered}${body}`);
    const delayMs = Math.min(askedMs, options.maxRetryAfterMs);
    const capped = delayMs < askedMs ? `, capped at ${delayMs} ms` : "";
    if (status === 429) throw new RateLimitedError(delayMs, `${answered} with Retry-After: ${raw}${capped}${body}`);
    throw new RetryAfterError(`${answered} with Retry-After: ${raw}${capped}${body}`, delayMs);
  }
  throw new UnrecoverableError(`${answered}${body}`);
}

/**
 * `Retry-After` as a delay in ms: delay-seconds or an HTTP date (a date in the past means "now"); `undefined`
 * when absent or unreadable, so the job's own backoff applies.
 * @example
 * parseRetryAfter("3", Date.now()) // 3000
 * parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("Wed, 21 Oct 2015 07:27:00 GMT")) // 60000
 */
export function parseRetryAfter(value: IncomingHttpHeaders["retry-after"], now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only date-looking text: Date.parse also reads things like "1.5" as a date in 2001.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
