/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"): the delay for
 * attempt n is uniform in [0, min(cap, base * 2^(n-1))]. Full jitter spreads a burst of failures (a receiver
 * that was down) instead of retrying them in lockstep.
 */
export interface BackoffPolicy {
  /** Delay scale for the first retry, in ms. */
  baseMs: number;
  /** Upper bound for any single delay, in ms. */
  maxMs: number;
}

/**
 * @example
 * backoffDelay({ baseMs: 1000, maxMs: 3_600_000 }, 3) // somewhere in [0, 4000]
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
