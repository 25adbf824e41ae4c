/**
 * The lease of one worker process on one queue, kept by one `tick` script call that also reaps dead workers and
 * promotes due delayed jobs. Ticks are scheduled, not polled:
 *   - the heartbeat: every lease/2 while the queue holds jobs (busy); every `idleHeartbeatMs` while its in-flight
 *     list is empty (idle, see below),
 *   - at the next delayed job's runAt (learned from claims, settles of retries and ticks),
 *   - at another worker's lease expiry when it falls before our next heartbeat: that is how a SIGKILLed
 *     worker's jobs come back within one lease, without anybody polling,
 *   - at once after a blocking pop handed us a marker (a peer just went busy, see below).
 *
 * Idle cost (issue 9: an idle worker process serving 3 job types must send <= 3 commands/min, <= 1 per queue).
 * An idle worker has nothing in flight, so nobody needs to reap it. Design:
 *   - Idle lease: a tick that finds our in-flight list empty writes a far expiry (idle lease = 2 idle heartbeats
 *     + one lease: one missed idle tick is survivable, and "further than one lease away" reads as idle until the
 *     next refresh), and we tick again only after `idleHeartbeatMs` (default 200 s). With the blocking pop's 300 s
 *     timeout that is 0.3 + 0.2 = 0.5 commands/min per queue, 2.5/min per process with its 5 default queues (was
 *     18; the first design's 120 s heartbeat made 0.7 a queue, 3.5 a process: over the target).
 *   - Idle -> busy in one call: the claim that takes jobs while our entry says idle writes the short expiry in the
 *     same script call (claim.lua), and `busy()` brings our next tick within half a lease.
 *   - Who watches a worker that just went busy: idle peers tick rarely, so that claim also pushes a marker (when
 *     the wait list is drained) that wakes the first blocked peer; its claim drops the marker and it ticks at
 *     once, learning the new expiry, and then ticks at each expiry of ours while we stay busy (what a busy
 *     worker's heartbeat costs anyway). Cost per idle -> busy transition: ZSCORE + ZADD + RPUSH inside the claim,
 *     and 3 commands of the woken peer (its claim, its tick, its next BLMOVE). A peer that is not blocked at that
 *     moment is busy (it ticks every half lease and watches us) or about to block (its BLMOVE returns the marker;
 *     a BLMOVE that timed out is re-issued without a claim in between, so no claim of an idle peer drops the
 *     marker unseen, except the first claim after start, a one-round-trip window then covered by its idle tick).
 *   - Delayed jobs and schedules keep their own clocks: a producer's marker wakes a blocked worker for an earlier
 *     delayed job and the claim's nextDue schedules the tick that promotes it; the scheduler has its own timer.
 *     What gets slower: a schedule made through the API reaches an idle worker's timer within one idle heartbeat.
 * Worst cases (shared/PROTOCOL.md, "what an idle worker costs"): a worker SIGKILLed right after its claim took a
 * job: the lease is already short and a peer already woken, so the job comes back within one lease + the tick
 * margin. A worker that dies between its BLMOVE (which moved the entry into its in-flight list) and its claim
 * (one round trip): the entry never started (no attempt used, no stall). The next tick of any peer sees an entry
 * under an idle lease and shortens that lease to one lease from then (tick.lua), so the entry is back within one
 * peer tick interval + one lease (busy peers tick every half lease; an all-idle fleet within one idle heartbeat).
 * If the woken peer dies too, the next idle tick of any other peer (within one idle heartbeat) picks up the watch.
 * A live worker whose BLMOVE or claim reply was lost leaves such an entry too, and no claim of its renews the
 * shortened lease: it ticks right after its recovery (queue-worker.ts), before that lease can run out.
 */
import type { Logger } from "pino";
import type { QueueKeys } from "../../shared/src/keys";
import { parseTickReply, tickCall, type TickReply } from "../../shared/src/ops/tick";
import type { ScriptRunner } from "../../shared/src/script-runner";
import type { WorkerObserver } from "./observer";

/** How long after another worker's lease expiry we tick: its lease must have lapsed by Redis's clock too. */
export const EXPIRY_MARGIN_MS = 25;

/**
 * The default idle heartbeat: one tick per queue every 200 s while the queue has nothing in flight. What it
 * bounds: a job whose worker died between its BLMOVE and its claim is back within one idle heartbeat + one lease
 * in an all-idle fleet (230 s; 45 s with a busy peer), see the worst cases above.
 */
export const DEFAULT_IDLE_HEARTBEAT_MS = 200_000;

/** The far expiry an idle tick writes: two idle heartbeats (one missed tick is survivable) and a lease. */
export function idleLeaseMs(leaseMs: number, idleHeartbeatMs: number): number {
  return 2 * idleHeartbeatMs + leaseMs;
}

/**
 * When to tick next after a tick answered `reply` at `now`: the heartbeat (half a lease while busy: one missed
 * tick is survivable; the idle heartbeat when the tick wrote an idle expiry), the next delayed job, and another
 * worker's expiry when that comes first. The earliest one wins.
 */
export function nextTickAt(reply: TickReply, now: number, leaseMs: number, idleHeartbeatMs = leaseMs / 2): number {
  const idle = reply.expiry !== undefined && reply.expiry - now > leaseMs;
  const candidates = [now + (idle ? idleHeartbeatMs : leaseMs / 2)];
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
  /** Heartbeat while the queue has nothing in flight; at most half a lease turns the idle lease off. */
  idleHeartbeatMs?: number;
  maxStalls: number;
  deadTtlMs: number;
  observer?: WorkerObserver;
  /** True while the outage is already reported (reachability.ts): failed ticks then log at debug only. */
  redisDown?: () => boolean;
  /** A tick found completion callbacks not moved on yet (their worker died right after settling). */
  onCallbacksPending?: () => void;
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

  /**
   * A claim took jobs: it made our lease short (claim.lua), so the next heartbeat must come within half a lease
   * instead of the idle heartbeat.
   */
  busy(): void {
    this.wakeAt(Date.now() + this.options.leaseMs / 2);
  }

  /** The idle lease (ms) ticks ask for, or undefined when the idle heartbeat is not longer than a busy one. */
  get idleLeaseMs(): number | undefined {
    const { leaseMs, idleHeartbeatMs = DEFAULT_IDLE_HEARTBEAT_MS } = this.options;
    return idleHeartbeatMs > leaseMs / 2 ? idleLeaseMs(leaseMs, idleHeartbeatMs) : undefined;
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
      const idleLeaseMs = this.idleLeaseMs;
      const reply = parseTickReply(await runner.run(tickCall(keys, { workerId, leaseMs, maxStalls, deadTtlMs, idleLeaseMs })));
      this.failures = 0;
      const idle = reply.expiry !== undefined && reply.expiry - sentAt > leaseMs;
      this.options.observer?.ticked?.({ queue: keys.queue, nextSchedule: reply.nextSchedule, idle });
      if (reply.callbacksPending) this.options.onCallbacksPending?.();
      if (reply.reaped > 0 || reply.dead > 0) {
        log.warn({ queue: keys.queue, reaped: reply.reaped, dead: reply.dead }, "reaped jobs of an expired worker");
        this.options.observer?.stalled?.({ queue: keys.queue, reaped: reply.reaped, dead: reply.dead });
      }
      const idleHeartbeatMs = idleLeaseMs === undefined ? leaseMs / 2 : (this.options.idleHeartbeatMs ?? DEFAULT_IDLE_HEARTBEAT_MS);
      this.wakeAt(nextTickAt(reply, sentAt, leaseMs, idleHeartbeatMs));
    } catch (error) {
      this.failures += 1;
      const level = this.options.redisDown?.() ? "debug" : "warn";
      log[level]({ err: error, queue: keys.queue }, "lease tick failed; retrying");
      this.options.observer?.redisError?.({ queue: keys.queue, op: "tick", error });
      this.wakeAt(Date.now() + tickRetryDelayMs(this.failures, leaseMs));
    }
  }
}
