/**
 * Makes ioredis reject commands whose connection closed before they were answered.
 *
 * With `autoResendUnfulfilledCommands: false` (which we need: a silently re-sent BLMOVE or claim would move jobs
 * nobody is waiting for), ioredis drops the unanswered commands of a closed connection without rejecting their
 * promises: they would hang forever. Every call made through the guard instead rejects on `close`, so the caller
 * knows the reply is lost and runs recovery.
 */
import type { Cluster, Redis } from "ioredis";

export type ReplyGuard = <T>(pending: Promise<T>) => Promise<T>;

const guards = new WeakMap<Redis | Cluster, ReplyGuard>();

export class ConnectionClosedError extends Error {
  override readonly name = "ConnectionClosedError";
}

/**
 * @example
 * const guard = closeGuard(redis);
 * const entry = await guard(redis.blmove(wait, active, "RIGHT", "LEFT", 60));
 */
export function closeGuard(redis: Redis | Cluster): ReplyGuard {
  const existing = guards.get(redis);
  if (existing) return existing;
  const pending = new Set<(error: Error) => void>();
  redis.on("close", () => {
    const rejecters = [...pending];
    pending.clear();
    for (const reject of rejecters) reject(new ConnectionClosedError("connection closed before Redis answered"));
  });
  const guard: ReplyGuard = (promise) =>
    new Promise((resolve, reject) => {
      pending.add(reject);
      promise.then(
        (value) => {
          pending.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          pending.delete(reject);
          reject(error);
        },
      );
    });
  guards.set(redis, guard);
  return guard;
}
