/**
 * The webhook job's configuration, from the environment. Parsed only when the worker serves the `webhook` queue,
 * so a worker that does not deliver webhooks needs no secret; one that does fails at start with one line naming
 * the variable rather than at the first delivery.
 */
import { Webhook } from "standardwebhooks";
import { z } from "zod";
import { envDuration, envFlag, parseEnv } from "../../../../shared/src/env/index";

/** Standard Webhooks asks for 24–64 random bytes; fewer makes the HMAC key guessable. */
const MIN_SECRET_BYTES = 24;
const SECRET_HINT = "generate one with: echo whsec_$(openssl rand -base64 32)";

const secret = z
  .string({ error: `required when the webhook job is enabled; ${SECRET_HINT}` })
  .transform((text, ctx) => {
    const base64 = text.trim().replace(/^whsec_/, "");
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) {
      ctx.addIssue({ code: "custom", message: `expected whsec_ followed by base64; ${SECRET_HINT}` });
      return z.NEVER;
    }
    if (Buffer.from(base64, "base64").length < MIN_SECRET_BYTES) {
      ctx.addIssue({ code: "custom", message: `expected at least ${MIN_SECRET_BYTES} random bytes; ${SECRET_HINT}` });
      return z.NEVER;
    }
    new Webhook(text.trim()); // the library's own check, so signing cannot fail later
    return text.trim();
  });

export const WebhookEnvSchema = z
  .object({
    WEBHOOK_SECRET: secret,
    /** Local development only: lets jobs reach loopback and private addresses (never cloud metadata). */
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: envFlag(false),
    /** Longest `Retry-After` honoured; a receiver asking for longer is retried after this instead. */
    WEBHOOK_MAX_RETRY_AFTER: envDuration({ fallback: "1h", minMs: 1_000 }),
  })
  .transform((env) => ({
    secret: env.WEBHOOK_SECRET,
    allowPrivateNetworks: env.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
    maxRetryAfterMs: env.WEBHOOK_MAX_RETRY_AFTER,
  }));

export type WebhookConfig = z.output<typeof WebhookEnvSchema>;

/**
 * @example
 * const handler = createWebhookHandler(parseWebhookConfig(process.env));
 * parseWebhookConfig({}) // throws ConfigError("invalid config: WEBHOOK_SECRET: required when the webhook job is enabled; …")
 */
export function parseWebhookConfig(env: Record<string, string | undefined>): WebhookConfig {
  return parseEnv(WebhookEnvSchema, env);
}
