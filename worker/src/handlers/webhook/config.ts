/**
 * The webhook job's configuration, from the environment. Parsed only when the worker serves the `webhook` queue,
 * so a worker that does not deliver webhooks needs no secret; one that does fails at start with one line naming
 * the variable rather than at the first delivery.
 */
import { Webhook } from "standardwebhooks";
import { z } from "zod";
import { parseDuration } from "../../../../shared/src/duration";
import { ConfigError } from "../../config";

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

const flag = z
  .string()
  .default("false")
  .transform((text, ctx) => {
    const value = text.trim().toLowerCase();
    if (value === "true" || value === "1") return true;
    if (value === "false" || value === "0" || value === "") return false;
    ctx.addIssue({ code: "custom", message: `expected true or false, got "${text}"` });
    return z.NEVER;
  });

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({ code: "custom", message: `expected a duration such as 30s, 5m or 1h, got "${text}"` });
        return z.NEVER;
      }
      return ms;
    });

export const WebhookEnvSchema = z
  .object({
    WEBHOOK_SECRET: secret,
    /** Local development only: lets jobs reach loopback and private addresses (never cloud metadata). */
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: flag,
    /** Longest `Retry-After` honoured; a receiver asking for longer is retried after this instead. */
    WEBHOOK_MAX_RETRY_AFTER: duration("1h"),
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
  const parsed = WebhookEnvSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ConfigError(`invalid config: ${issue.path.join(".")}: ${issue.message}`);
}
