/**
 * The built-in `callback` job: POSTs a finished job's status (as a producer key reads it from GET /v1/jobs/{id})
 * to its callback URL, with the webhook job's code (./webhook/send.ts): the same SSRF guard at connect time, the
 * same Standard Webhooks signature with WEBHOOK_SECRET, the same reading of the receiver's answer (2xx done;
 * 408/429/5xx and network errors retried with the callback job's backoff; other 4xx and redirects dead at once).
 * `webhook-id` is `<job id>:<outcome>` (callbacks.ts), the same for every retry and every re-delivery.
 */
import { callbackWebhookId } from "../../../shared/src/callbacks";
import type { PayloadOf } from "../../../shared/src/jobs/index";
import type { JobContext } from "../handler";
import type { WebhookResult } from "./webhook/outcome";
import { createSignedSender, type WebhookHandlerConfig } from "./webhook/send";

export type CallbackHandler = (data: PayloadOf<"callback">, ctx: JobContext) => Promise<WebhookResult>;

/**
 * @example
 * handlers.callback = createCallbackHandler(parseWebhookConfig(process.env));
 */
export function createCallbackHandler(config: WebhookHandlerConfig): CallbackHandler {
  const send = createSignedSender(config);
  return function deliverCallback(data, ctx) {
    const id = callbackWebhookId(data.status.id, data.outcome);
    return send({ url: data.url, id, body: JSON.stringify(data.status) }, ctx);
  };
}
