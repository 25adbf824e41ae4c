/**
 * The Worker's bindings, validated once per isolate. A wrong or missing variable becomes a problem+json 500
 * that names the variable (never a stack, never a secret's value), so a misconfigured deploy says what to fix
 * on its first request instead of failing somewhere deeper with an opaque error.
 */
import { z } from "zod";
import { blankAsUnset, envDuration, envFlag, envIssues, envPrefix, envWholeNumber } from "../../shared/src/env/index";
import { DEFAULT_PREFIX, OffloadError, parseDuration } from "../../shared/src/index";

/** What wrangler hands the Worker: `[vars]` from wrangler.toml plus secrets (`wrangler secret put`). */
export interface Bindings {
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  /** Producer keys, comma-separated. */
  API_KEYS?: string;
  /** Admin keys, comma-separated; they may also use every producer route. */
  ADMIN_API_KEYS?: string;
  MAX_BODY_BYTES?: string;
  MAX_BATCH_SIZE?: string;
  /** `<requests>/<window>` per API key, e.g. `100/10s`; `off` disables it. */
  RATE_LIMIT?: string;
  REDIS_PREFIX?: string;
  /** `true` only in local development: webhook jobs may target loopback/private addresses (never metadata). */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS?: string;
  /** Replicas that must acknowledge an enqueue before its 202 (`WAIT` in the same request); default 0 = off. */
  ENQUEUE_REPLICAS?: string;
  /** How long that `WAIT` may block the request (default 500ms); not enough replicas by then is a 503. */
  ENQUEUE_REPLICAS_TIMEOUT?: string;
}

export interface RateLimitConfig {
  requests: number;
  windowMs: number;
}

export interface EdgeConfig {
  upstashUrl: string;
  upstashToken: string;
  apiKeys: string[];
  adminApiKeys: string[];
  maxBodyBytes: number;
  maxBatchSize: number;
  rateLimit: RateLimitConfig | undefined;
  redisPrefix: string;
  webhookAllowPrivateNetworks: boolean;
  /** Replica-acknowledged enqueue (storage.ts): 0 = off. */
  enqueueReplicas: number;
  enqueueReplicasTimeoutMs: number;
}

export const CONFIG_DEFAULTS = {
  MAX_BODY_BYTES: 262_144,
  MAX_BATCH_SIZE: 1_000,
  RATE_LIMIT: "off",
  REDIS_PREFIX: DEFAULT_PREFIX,
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: "false",
  ENQUEUE_REPLICAS: 0,
  ENQUEUE_REPLICAS_TIMEOUT: "500ms",
} as const;

const MIN_RATE_WINDOW_MS = 1_000;

const required = { error: (issue: { input: unknown }) => (issue.input === undefined ? "is required" : "must be a string") };

const keyList = z
  .string(required)
  .transform((text) => text.split(",").map((key) => key.trim()).filter(Boolean))
  // The characters a Bearer token may hold (RFC 6750 token68), so every configured key can be presented.
  .refine((keys) => keys.every((key) => /^[A-Za-z0-9\-._~+/]+=*$/.test(key)), "keys may use A-Z a-z 0-9 - . _ ~ + / (and trailing =)");

const rateLimit = z
  .string()
  .trim()
  .transform((text, ctx): RateLimitConfig | undefined => {
    if (text === "off" || text === "") return undefined;
    const [requests, window] = text.split("/");
    const windowMs = window === undefined ? undefined : parseDuration(window);
    if (!requests || !/^\d+$/.test(requests) || Number(requests) < 1 || !windowMs) {
      ctx.addIssue({ code: "custom", message: 'use "<requests>/<window>" such as "100/10s", or "off"' });
      return z.NEVER;
    }
    // A window under a second is a typo for seconds ("100/10" is 10 ms), and a limiter that resets that often
    // limits nothing while costing an Upstash request per call.
    if (windowMs < MIN_RATE_WINDOW_MS) {
      ctx.addIssue({ code: "custom", message: `the window must be at least 1s; "${window}" is ${windowMs} ms (a bare number is milliseconds)` });
      return z.NEVER;
    }
    return { requests: Number(requests), windowMs };
  });

const EnvSchema = z.object({
  UPSTASH_REDIS_REST_URL: z.string(required).pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" })),
  UPSTASH_REDIS_REST_TOKEN: z.string(required).min(1, "is required"),
  API_KEYS: keyList.refine((keys) => keys.length > 0, "needs at least one key"),
  ADMIN_API_KEYS: keyList.default([]),
  MAX_BODY_BYTES: envWholeNumber({ fallback: CONFIG_DEFAULTS.MAX_BODY_BYTES, min: 1, max: 16 * 1024 * 1024 }),
  MAX_BATCH_SIZE: envWholeNumber({ fallback: CONFIG_DEFAULTS.MAX_BATCH_SIZE, min: 1, max: 10_000 }),
  RATE_LIMIT: rateLimit.optional(),
  // The same rule as the worker's and the dev stack's (shared/src/env): both sides must agree on key names.
  REDIS_PREFIX: envPrefix(CONFIG_DEFAULTS.REDIS_PREFIX),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: envFlag(false),
  ENQUEUE_REPLICAS: envWholeNumber({ fallback: CONFIG_DEFAULTS.ENQUEUE_REPLICAS, min: 0, max: 16 }),
  // Workers bill wall time and the client waits: seconds here would be a slow 202, not a safer one.
  ENQUEUE_REPLICAS_TIMEOUT: envDuration({ fallback: CONFIG_DEFAULTS.ENQUEUE_REPLICAS_TIMEOUT, minMs: 1, maxMs: 10_000 }),
});

/** Parsed once per bindings object: workerd hands every request of an isolate the same `env`. */
const cache = new WeakMap<object, EdgeConfig | OffloadError>();

/**
 * Validates the bindings, or throws an `invalid_config` error naming each bad variable. Messages never echo a
 * value: these variables hold secrets.
 * @example
 * const config = loadConfig(c.env); // config.maxBodyBytes === 262144 unless MAX_BODY_BYTES says otherwise
 */
export function loadConfig(env: Bindings | undefined): EdgeConfig {
  const bindings = env ?? {};
  let outcome = cache.get(bindings);
  if (outcome === undefined) {
    outcome = parseConfig(bindings);
    cache.set(bindings, outcome);
  }
  if (outcome instanceof OffloadError) throw outcome;
  return outcome;
}

function parseConfig(env: Bindings): EdgeConfig | OffloadError {
  const parsed = EnvSchema.safeParse(blankAsUnset<unknown>({ ...env }));
  if (!parsed.success) {
    const issues = envIssues(parsed.error);
    const names = [...new Set(issues.map((issue) => issue.path))].join(", ");
    return new OffloadError(
      "invalid_config",
      `The Worker is misconfigured: check ${names} (${issues.map((i) => `${i.path} ${i.message}`).join("; ")})`,
      { issues },
    );
  }
  const vars = parsed.data;
  return {
    upstashUrl: vars.UPSTASH_REDIS_REST_URL,
    upstashToken: vars.UPSTASH_REDIS_REST_TOKEN,
    apiKeys: vars.API_KEYS,
    adminApiKeys: vars.ADMIN_API_KEYS,
    maxBodyBytes: vars.MAX_BODY_BYTES,
    maxBatchSize: vars.MAX_BATCH_SIZE,
    rateLimit: vars.RATE_LIMIT,
    redisPrefix: vars.REDIS_PREFIX,
    webhookAllowPrivateNetworks: vars.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
    enqueueReplicas: vars.ENQUEUE_REPLICAS,
    enqueueReplicasTimeoutMs: vars.ENQUEUE_REPLICAS_TIMEOUT,
  };
}
