/**
 * Standard Webhooks signing, through the specification's own library so receivers can verify with any of its
 * implementations. The id is the job id, so every retry of one job carries the same `webhook-id` and a receiver
 * can de-duplicate; the timestamp is fresh per attempt because receivers reject signatures older than 5 minutes.
 */
import { Webhook } from "standardwebhooks";

export interface SignatureHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

export type Signer = (id: string, body: string, at?: Date) => SignatureHeaders;

/**
 * @example
 * const sign = createSigner("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwIK8Yfdu1bYk=");
 * const headers = sign("webhook.01J9Z…", JSON.stringify({ id: 1 }));
 * new Webhook(secret).verify(body, headers); // passes
 */
export function createSigner(secret: string): Signer {
  const webhook = new Webhook(secret);
  return function sign(id, body, at = new Date()) {
    return {
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": webhook.sign(id, at, body),
    };
  };
}
