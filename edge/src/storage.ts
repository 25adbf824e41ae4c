/**
 * The Upstash client the edge talks to Redis through, and the one place its failures become errors: any
 * failure (REST endpoint unreachable, Redis down behind it, a script error, a timeout) is a `redis_unavailable`
 * 503 with Retry-After. Scripts are atomic, so a failed call has written all of a batch or none of it.
 *
 * With ENQUEUE_REPLICAS > 0 every `enqueue` script call (single jobs, batches, events: all go through here) is
 * sent with a WAIT in the same request instead (replicated-enqueue.ts), and a 202 needs that many replicas.
 */
import { Redis } from "@upstash/redis/cloudflare";
import { ENQUEUE_SCRIPTS, redisUnavailable, type ScriptRunner } from "../../shared/src/index";
import { upstashRunner } from "../../shared/src/runners/upstash-runner";
import type { EdgeConfig } from "./env";
import { replicatedEnqueue } from "./replicated-enqueue";

export interface Storage {
  /** Runs the shared Lua scripts; rejects only with `redis_unavailable`. */
  runner: ScriptRunner;
  /** Resolves when Redis answers PING through the REST endpoint. */
  ping(): Promise<void>;
  /** The raw client, for @upstash/ratelimit. */
  redis: Redis;
}

export interface StorageOptions {
  /** Per HTTP request to Upstash. A hung request would otherwise hold the Worker until its own limit. */
  timeoutMs?: number;
  /** Re-sends after a network error (not after an error answer). Safe: job ids are chosen before sending. */
  retries?: number;
  /** Seconds a 503 asks the client to wait. */
  retryAfterSeconds?: number;
}

const DEFAULTS: Required<StorageOptions> = { timeoutMs: 5_000, retries: 2, retryAfterSeconds: 2 };

const cache = new WeakMap<EdgeConfig, Storage>();

/**
 * One client per isolate and configuration: the client holds no connection, only settings.
 * @example
 * const { runner } = storageFor(config);
 * const [result] = await enqueue(runner, keys, [job]);
 */
export function storageFor(config: EdgeConfig, options: StorageOptions = {}): Storage {
  let storage = cache.get(config);
  if (!storage) {
    storage = createStorage(config, { ...DEFAULTS, ...options });
    cache.set(config, storage);
  }
  return storage;
}

function createStorage(config: EdgeConfig, options: Required<StorageOptions>): Storage {
  const redis = new Redis({
    url: config.upstashUrl,
    token: config.upstashToken,
    // The shared scripts return raw strings; JSON-parsing them would turn "123" ids or payloads into numbers.
    automaticDeserialization: false,
    // Auto-pipelining would merge commands of concurrent requests into one fetch; in Workers a request's I/O
    // must not settle another request's promises, and the contract counts one HTTP request per job.
    enableAutoPipelining: false,
    enableTelemetry: false,
    // The default (5 retries, exponential from 50 ms) spends ~4 s before a client sees the 503.
    retry: { retries: options.retries, backoff: (attempt) => 50 * 2 ** attempt },
    // A function, so each request gets a fresh timer; the client then rejects instead of faking a reply.
    signal: () => AbortSignal.timeout(options.timeoutMs),
  });
  const unavailable = (error: unknown) => redisUnavailable(error, options.retryAfterSeconds);
  const raw = upstashRunner(redis);
  const replicated = config.enqueueReplicas > 0 && {
    url: config.upstashUrl,
    token: config.upstashToken,
    replicas: config.enqueueReplicas,
    waitTimeoutMs: config.enqueueReplicasTimeoutMs,
    requestTimeoutMs: options.timeoutMs,
    retries: options.retries,
    retryAfterSeconds: options.retryAfterSeconds,
  };
  return {
    redis,
    runner: {
      run: (call) =>
        replicated && ENQUEUE_SCRIPTS.has(call.script.name)
          ? replicatedEnqueue(call, replicated)
          : raw.run(call).catch((error: unknown) => Promise.reject(unavailable(error))),
      runMany: (calls) => raw.runMany(calls).catch((error: unknown) => Promise.reject(unavailable(error))),
    },
    async ping() {
      try {
        await redis.ping();
      } catch (error) {
        throw unavailable(error);
      }
    },
  };
}
