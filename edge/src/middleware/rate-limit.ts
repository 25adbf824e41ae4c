/**
 * Per-API-key rate limiting: 429 with Retry-After when a key is over its budget. The limiter is any object with
 * @upstash/ratelimit's `limit()`; `limiterFor` (below) builds the real one from `RATE_LIMIT`.
 *
 * Cost: with limiting on, a request makes one extra Upstash request (the limiter's script) unless the
 * limiter's in-isolate cache already knows the key is blocked. Off by default, and off in local dev.
 */
import type { Context, MiddlewareHandler } from "hono";
import { Ratelimit } from "@upstash/ratelimit";
import { OffloadError, redisUnavailable } from "../../../shared/src/index";
import type { AppEnv } from "../context";
import type { EdgeConfig } from "../env";
import type { Storage } from "../storage";

/** The part of @upstash/ratelimit this middleware uses. */
export interface Limiter {
  limit(identifier: string): Promise<{ success: boolean; reset: number; limit: number; remaining: number; pending?: Promise<unknown> }>;
}

export interface RateLimitOptions {
  /** The limiter for this request, or undefined when limiting is off. Default: from config (`RATE_LIMIT`). */
  limiter?: (c: Context<AppEnv>) => Limiter | undefined;
  /** The bucket a request counts against. Default: the API key's id (a digest prefix, never the key). */
  identify?: (c: Context<AppEnv>) => string;
  now?: () => number;
}

const limiters = new WeakMap<EdgeConfig, Limiter>();

/**
 * A sliding-window limiter over the same Upstash database, keys under `<REDIS_PREFIX>:ratelimit`.
 * @example
 * const limiter = limiterFor(config, storage); // undefined when RATE_LIMIT=off
 */
export function limiterFor(config: EdgeConfig, storage: Storage): Limiter | undefined {
  if (!config.rateLimit) return undefined;
  let limiter = limiters.get(config);
  if (!limiter) {
    limiter = new Ratelimit({
      redis: storage.redis,
      limiter: Ratelimit.slidingWindow(config.rateLimit.requests, `${config.rateLimit.windowMs} ms`),
      prefix: `${config.redisPrefix}:ratelimit`,
      analytics: false,
      // No fail-open timer: a slow Upstash ends in the client's own timeout and the usual 503.
      timeout: 0,
    });
    limiters.set(config, limiter);
  }
  return limiter;
}

/**
 * @example
 * app.use("/v1/*", bearerAuth(), rateLimit());
 */
export function rateLimit(options: RateLimitOptions = {}): MiddlewareHandler<AppEnv> {
  const {
    limiter: limiterOf = (c) => limiterFor(c.var.config, c.var.storage),
    identify = (c) => c.var.principal.keyId,
    now = Date.now,
  } = options;
  return async function rateLimit(c, next) {
    const limiter = limiterOf(c);
    if (!limiter) return next();
    let outcome: Awaited<ReturnType<Limiter["limit"]>>;
    try {
      outcome = await limiter.limit(identify(c));
    } catch (error) {
      throw redisUnavailable(error);
    }
    if (outcome.pending) waitUntil(c, outcome.pending);
    c.header("RateLimit-Limit", String(outcome.limit));
    c.header("RateLimit-Remaining", String(Math.max(0, outcome.remaining)));
    if (!outcome.success) {
      const retryAfterSeconds = Math.max(1, Math.ceil((outcome.reset - now()) / 1000));
      throw new OffloadError("rate_limited", `Rate limit reached for this API key; retry in ${retryAfterSeconds} s`, {
        retryAfterSeconds,
      });
    }
    await next();
  };
}

/** Background work after the response, where there is an execution context (not in unit tests). */
function waitUntil(c: Context, promise: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(promise.catch(() => {}));
  } catch {
    void promise.catch(() => {});
  }
}
