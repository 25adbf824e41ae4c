/**
 * The lease of one worker process on one queue, kept by one `tick` script call that also reaps dead workers and
 * promotes due delayed jobs. Ticks are scheduled, not polled:
 *   - every lease/2 (the heartbeat; the only thing an idle worker does besides one long BLMOVE),
 *   - at the next delayed job's runAt (learned from claims, settles of retries and ticks),
 *   - at another worker's lease expiry when it falls before our next heartbeat: that is how a SIGKILLed
 *     worker's jobs come back within one lease, without anybody polling.
 */
import type { Logger } from "pino";
import type { QueueKeys } from "../../shared/src/keys";
import { parseTickReply, tickCall, type TickReply } from "../../shared/src/ops/tick";
import type { ScriptRunner } from "../../shared/src/script-runner";
import type { WorkerObserver } from "./observer";

/** How long after another worker's lease expiry we tick: its lease must have lapsed by Redis's clock too. */
export const EXPIRY_MARGIN_MS = 25;

/**
 * When to tick next after a tick answered `reply` at `now`: the heartbeat (half a lease: one missed tick is
 * survivable), the next delayed job, and another worker's expiry when that comes first. The earliest one wins.
 */
export function nextTickAt(reply: TickReply, now: number, leaseMs: number): number {
  const candidates = [now + leaseMs / 2];
  if (reply.nextDue >= 0) candidates.push(reply.nextDue);
  if (reply.earliestOtherExpiry > 0) candidates.push(reply.earliestOtherExpiry + EXPIRY_MARGIN_MS);
  return Math.min(...candidates);
}

/**
 * How long to wait before retrying the `failures`-th failed tick in a row: doubling from 500 ms, but never more
 * than a quarter lease, so a Redis that comes back within the lease sees the heartbeat again before it lapses.
 */
export function tickRetryDelayMs(failures: number, leaseMs: number): number {
  return Math.min(250 * 2 ** failures, leaseMs / 4);
}

export interface LeaseOptions {
  keys: QueueKeys;
  workerId: string;
  runner: ScriptRunner;
  leaseMs: number;
  maxStalls: number;
  deadTtlMs: number;
  observer?: WorkerObserver;
  /** True while the outage is already reported (reachability.ts): failed ticks then log at debug only. */
  redisDown?: () => boolean;
  log: Logger;
}

export class Lease {
  private timer: NodeJS.Timeout | undefined;
  private nextAt = Infinity;
  private stopped = false;
  private running: Promise<void> | undefined;
  private failures = 0;

  constructor(private readonly options: LeaseOptions) {}

  /** Registers this worker (first tick) before any job is claimed; false if that tick failed (it is retried). */
  async start(): Promise<boolean> {
    await this.tick();
    return this.failures === 0;
  }

  /** Asks for a tick at `at` (ms since epoch) unless one is already due earlier. */
  wakeAt(at: number): void {
    if (this.stopped || at < 0 || at >= this.nextAt) return;
    this.nextAt = at;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), Math.max(0, at - Date.now()));
  }

  /** Stops ticking and leaves the registry, handing back whatever is still in our in-flight list. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    const { keys, workerId, runner, maxStalls, deadTtlMs } = this.options;
    await runner.run(tickCall(keys, { workerId, leaseMs: 0, maxStalls, deadTtlMs }));
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.running) return this.running;
    this.nextAt = Infinity;
    clearTimeout(this.timer);
    this.running = this.runTick().finally(() => (this.running = undefined));
    return this.running;
  }

  private async runTick(): Promise<void> {
    const { keys, workerId, runner, leaseMs, maxStalls, deadTtlMs, log } = this.options;
    const sentAt = Date.now();
    try {
      const reply = parseTickReply(await runner.run(tickCall(keys, { workerId, leaseMs, maxStalls, deadTtlMs })));
      this.failures = 0;
      this.options.observer?.ticked?.({ queue: keys.queue, nextSchedule: reply.nextSchedule });
      if (reply.reaped > 0 || reply.dead > 0) {
        log.warn({ queue: keys.queue, reaped: reply.reaped, dead: reply.dead }, "reaped jobs of an expired worker");
        this.options.observer?.stalled?.({ queue: keys.queue, reaped: reply.reaped, dead: reply.dead });
      }
      this.wakeAt(nextTickAt(reply, sentAt, leaseMs));
    } catch (error) {
      this.failures += 1;
      const level = this.options.redisDown?.() ? "debug" : "warn";
      log[level]({ err: error, queue: keys.queue }, "lease tick failed; retrying");
      this.options.observer?.redisError?.({ queue: keys.queue, op: "tick", error });
      this.wakeAt(Date.now() + tickRetryDelayMs(this.failures, leaseMs));
    }
  }
}
