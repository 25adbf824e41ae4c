/**
 * One signed delivery, as the webhook job makes it and the completion callbacks reuse it: the SSRF check of the
 * URL, the host's addresses vetted and pinned for the connection, the Standard Webhooks signature over exactly
 * the body sent, one POST, and the receiver's answer turned into a result or an error that steers the queue's
 * retries (outcome.ts). Callers choose the `webhook-id` (the webhook job: its job id; a callback: job id +
 * outcome), the body and any extra headers.
 */
import { checkWebhookUrl, type SsrfPolicy } from "../../../../shared/src/ssrf";
import type { JobContext } from "../../handler";
import { RateLimitedError, RetryAfterError, UnrecoverableError } from "../../job-errors";
import { postOnce } from "./deliver";
import { settleResponse, type WebhookResult } from "./outcome";
import { PRIVATE_NETWORKS_HINT, pinnedLookup, resolveVetted, systemLookup, type Lookup } from "./resolve-guard";
import { createSigner, type SignatureHeaders } from "./signer";

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

export interface SignedDelivery {
  url: string;
  /** The `webhook-id`: the same for every retry of one message, so receivers can de-duplicate. */
  id: string;
  /** The JSON body, exactly as signed and sent. */
  body: string;
  headers?: Record<string, string>;
}

export type SignedSender = (delivery: SignedDelivery, ctx: Pick<JobContext, "signal" | "log">) => Promise<WebhookResult>;

const USER_AGENT = "Offload-Webhooks/1";

/**
 * @example
 * const send = createSignedSender(parseWebhookConfig(process.env));
 * await send({ url, id: ctx.jobId, body: JSON.stringify(payload) }, ctx);
 */
export function createSignedSender(config: WebhookHandlerConfig): SignedSender {
  const sign = createSigner(config.secret);
  const policy: SsrfPolicy = { allowPrivateNetworks: config.allowPrivateNetworks };
  const lookup = config.lookup ?? systemLookup;
  return async function sendSigned(delivery, ctx) {
    const started = performance.now();
    // The edge ran this check too, but a job can reach Redis by other paths and config can differ between them.
    const refused = checkWebhookUrl(delivery.url, policy);
    if (refused) {
      const hint = checkWebhookUrl(delivery.url, { allowPrivateNetworks: true }) ? "" : ` (${PRIVATE_NETWORKS_HINT})`;
      throw new UnrecoverableError(`refused webhook URL: ${refused}${hint}`);
    }
    const url = new URL(delivery.url);
    try {
      const addresses = await resolveVetted(url.hostname, policy, lookup, ctx.signal);
      const response = await postOnce({
        url,
        body: delivery.body,
        headers: requestHeaders(delivery.headers, sign(delivery.id, delivery.body)),
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
