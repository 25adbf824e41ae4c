/**
 * The two connections a worker process keeps per Redis: one for commands and scripts, one that sits in BLMOVE.
 *
 * Both turn off ioredis's re-sending of unanswered commands after a reconnect: a BLMOVE silently re-sent on a new
 * connection would be a second pop the fetch loop never sees the answer to (BullMQ #2964-style hangs), and a claim
 * re-sent after it already ran would claim twice. Instead the caller sees the error and runs recovery, which
 * returns anything moved into our in-flight list that this process does not know about.
 */
import { Redis, type RedisOptions } from "ioredis";

export function redisOptions(overrides: RedisOptions = {}): RedisOptions {
  return {
    // RESP2: the same reply shapes as Upstash REST and as every script header documents.
    protocol: 2,
    autoResendUnfulfilledCommands: false,
    // Fail commands while disconnected instead of queueing them forever; the loops retry with backoff.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000) + Math.floor(Math.random() * 100),
    keepAlive: 10_000,
    connectTimeout: 5_000,
    lazyConnect: false,
    ...overrides,
  };
}

export function createConnection(url: string, name: string, overrides: RedisOptions = {}): Redis {
  return new Redis(url, redisOptions({ connectionName: name, ...overrides }));
}
