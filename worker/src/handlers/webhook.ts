/**
 * The `webhook` job: POST the payload's JSON body to its URL, signed per Standard Webhooks. One attempt per call;
 * retries, backoff and dead-lettering belong to the queue, steered by what this throws:
 * - returns `{ status, durationMs }` on 2xx;
 * - UnrecoverableError for a forbidden destination, a redirect, or a 4xx other than 408/429;
 * - RateLimitedError when a 429 carries Retry-After (the queue pauses that long: back-pressure);
 * - RetryAfterError when a 408/5xx carries Retry-After;
 * - a plain Error otherwise (other 408/429/5xx, DNS and connection errors, timeout or shutdown via ctx.signal).
 *
 * Each step is a file in ./webhook/: config (env), resolve-guard (SSRF at connect time), signer, deliver (the
 * POST), outcome (status → result or error).
 */
import type { PayloadOf } from "../../../shared/src/jobs/index";
import { checkWebhookUrl, type SsrfPolicy } from "../../../shared/src/ssrf";
import type { JobContext } from "../handler";
import { RateLimitedError, RetryAfterError, UnrecoverableError } from "../job-errors";
import { postOnce } from "./webhook/deliver";
import { settleResponse, type WebhookResult } from "./webhook/outcome";
import { PRIVATE_NETWORKS_HINT, pinnedLookup, resolveVetted, systemLookup, type Lookup } from "./webhook/resolve-guard";
import { createSigner, type SignatureHeaders } from "./webhook/signer";

export type { WebhookResult } from "./webhook/outcome";
export { parseWebhookConfig, type WebhookConfig } from "./webhook/config";

export interface WebhookHandlerConfig {
  /** Standard Webhooks secret (`whsec_<base64>`), shared with receivers so they can verify. */
  secret: string;
  /** Development only: allow loopback/private destinations (cloud metadata stays refused). */
  allowPrivateNetworks: boolean;
  /** Upper bound on a receiver's Retry-After, in ms. */
  maxRetryAfterMs: number;
  /** Host name → all its addresses. Default: the system resolver. Tests map made-up names to 127.0.0.1. */
  lookup?: Lookup;
}

export type WebhookHandler = (data: PayloadOf<"webhook">, ctx: JobContext) => Promise<WebhookResult>;

const USER_AGENT = "Offload-Webhooks/1";

/**
 * @example
 * const webhook = createWebhookHandler(parseWebhookConfig(process.env));
 * const handlers: HandlerMap = { webhook, noop, digest };
 */
export function createWebhookHandler(config: WebhookHandlerConfig): WebhookHandler {
  const sign = createSigner(config.secret);
  const policy: SsrfPolicy = { allowPrivateNetworks: config.allowPrivateNetworks };
  const lookup = config.lookup ?? systemLookup;

  return async function deliverWebhook(data, ctx) {
    const started = performance.now();
    // The edge ran this check too, but a job can reach Redis by other paths and config can differ between them.
    const refused = checkWebhookUrl(data.url, policy);
    if (refused) {
      const hint = checkWebhookUrl(data.url, { allowPrivateNetworks: true }) ? "" : ` (${PRIVATE_NETWORKS_HINT})`;
      throw new UnrecoverableError(`refused webhook URL: ${refused}${hint}`);
    }
    const url = new URL(data.url);
    try {
      const addresses = await resolveVetted(url.hostname, policy, lookup, ctx.signal);
      const body = JSON.stringify(data.body);
      const response = await postOnce({
        url,
        body,
        headers: requestHeaders(data.headers, sign(ctx.jobId, body)),
        lookup: pinnedLookup(addresses),
        signal: ctx.signal,
      });
      const durationMs = Math.round(performance.now() - started);
      ctx.log.debug({ host: url.host, status: response.status, durationMs }, "webhook receiver answered");
      return settleResponse(response, { durationMs, maxRetryAfterMs: config.maxRetryAfterMs });
    } catch (error) {
      if (error instanceof UnrecoverableError || error instanceof RetryAfterError || error instanceof RateLimitedError) throw error;
      // Timeout or shutdown: not the receiver's verdict, so an ordinary failed attempt that will be retried.
      if (ctx.signal.aborted) {
        throw new Error(`delivery to ${url.host} aborted: ${abortReason(ctx.signal)}`, { cause: error });
      }
      throw error;
    }
  };
}

/**
 * Header names are lower-cased so a payload's `X-Foo` and `x-foo` cannot both be sent, and so the signature and
 * Content-Type, applied last, always win (the schema already refuses payloads that try to set them).
 */
function requestHeaders(extra: Record<string, string> | undefined, signature: SignatureHeaders) {
  const headers: Record<string, string> = { "user-agent": USER_AGENT };
  for (const [name, value] of Object.entries(extra ?? {})) headers[name.toLowerCase()] = value;
  return { ...headers, "content-type": "application/json", ...signature };
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason ?? "aborted");
}
