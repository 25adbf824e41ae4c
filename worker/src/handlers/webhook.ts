/**
 * The `webhook` job: POST the payload's JSON body to its URL, signed per Standard Webhooks. One attempt per call;
 * retries, backoff and dead-lettering belong to the queue, steered by what this throws:
 * - returns `{ status, durationMs }` on 2xx;
 * - UnrecoverableError for a forbidden destination, a redirect, or a 4xx other than 408/429;
 * - RateLimitedError when a 429 carries Retry-After (the queue pauses that long: back-pressure);
 * - RetryAfterError when a 408/5xx carries Retry-After;
 * - a plain Error otherwise (other 408/429/5xx, DNS and connection errors, timeout or shutdown via ctx.signal).
 *
 * Each step is a file in ./webhook/: config (env), send (one signed delivery, shared with the completion
 * callbacks), resolve-guard (SSRF at connect time), signer, deliver (the POST), outcome (status → result or error).
 */
import type { PayloadOf } from "../../../shared/src/jobs/index";
import type { JobContext } from "../handler";
import type { WebhookResult } from "./webhook/outcome";
import { createSignedSender, type WebhookHandlerConfig } from "./webhook/send";

export type { WebhookResult } from "./webhook/outcome";
export { parseWebhookConfig, type WebhookConfig } from "./webhook/config";
export type { WebhookHandlerConfig } from "./webhook/send";

export type WebhookHandler = (data: PayloadOf<"webhook">, ctx: JobContext) => Promise<WebhookResult>;

/**
 * @example
 * const webhook = createWebhookHandler(parseWebhookConfig(process.env));
 * const handlers: HandlerMap = { webhook, noop, digest };
 */
export function createWebhookHandler(config: WebhookHandlerConfig): WebhookHandler {
  const send = createSignedSender(config);
  return function deliverWebhook(data, ctx) {
    // The job id is the webhook-id: every retry of this job carries the same one.
    return send({ url: data.url, id: ctx.jobId, body: JSON.stringify(data.body), headers: data.headers }, ctx);
  };
}
