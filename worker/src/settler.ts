/**
 * Coalesces settlements of one queue into one script call. A settlement waits at most until the next turn of
 * the event loop: either the fetch loop carries it inside its next claim (one script call for "finish this,
 * give me the next"), or it is sent on its own. A failed call is retried until it lands; if the process dies
 * first, the job is still in the in-flight list and the lease brings it back (at-least-once).
 */
import type { Logger } from "pino";
import type { QueueKeys } from "../../shared/src/keys";
import { parseSettleReply, recordedCallbacks, settleCall, type Settlement } from "../../shared/src/ops/settle";
import type { ScriptRunner } from "../../shared/src/script-runner";
import type { SettledEvent, WorkerObserver } from "./observer";

interface Pending {
  settlement: Settlement;
  done: ((applied: boolean) => void) | undefined;
}

export interface TakenSettlements {
  settlements: Settlement[];
  /** Feed back, per settlement, whether it was applied. */
  complete(applied: boolean[]): void;
  /** The call failed: the settlements go back in line. */
  fail(): void;
}

export class Settler {
  private pending: Pending[] = [];
  private inFlight = new Set<string>();
  private flushScheduled = false;
  private retryDelayMs = 100;
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly keys: QueueKeys,
    private readonly workerId: string,
    private readonly runner: ScriptRunner,
    private readonly log: Logger,
    private readonly observer: WorkerObserver = {},
    /** True while the outage is already reported (reachability.ts): failed sends then log at debug only. */
    private readonly redisDown: () => boolean = () => false,
    /** A settle recorded a completion callback: move it on now (callback-mover.ts). */
    private readonly onCallbacks: () => void = () => {},
  ) {}

  /** Resolves true once applied, false if the job was no longer ours (our lease had expired and it was reaped). */
  add(settlement: Settlement): Promise<boolean> {
    return new Promise((done) => this.queue(settlement, done));
  }

  /**
   * As add(), without a promise per settlement (the job runner's path: only retries need to know when theirs
   * landed). `done` is called with true once applied, false if the job was no longer ours.
   */
  queue(settlement: Settlement, done?: (applied: boolean) => void): void {
    this.pending.push({ settlement, done });
    this.scheduleFlush(0);
  }

  /** Entries whose settlement has not landed yet: still ours, though no longer running. */
  entries(): string[] {
    return [...this.pending.map((p) => p.settlement.entry), ...this.inFlight];
  }

  get size(): number {
    return this.pending.length + this.inFlight.size;
  }

  /** Hands the pending settlements to a call about to be sent (`via` says which: a claim, or a settle of its own). */
  take(via: SettledEvent["via"] = "claim"): TakenSettlements | undefined {
    if (this.pending.length === 0) return undefined;
    const batch = this.pending;
    this.pending = [];
    for (const p of batch) this.inFlight.add(p.settlement.entry);
    const settlements = batch.map((p) => p.settlement);
    const takenAt = performance.now();
    return {
      settlements,
      complete: (applied) => {
        this.observer.settled?.({ queue: this.keys.queue, settlements, applied, ms: performance.now() - takenAt, via });
        batch.forEach((p, i) => {
          this.inFlight.delete(p.settlement.entry);
          if (!applied[i]) {
            this.log.warn({ entry: p.settlement.entry, kind: p.settlement.kind }, "settlement dropped: lease lost, job was reaped");
          }
          p.done?.(applied[i] ?? false);
        });
        this.retryDelayMs = 100;
      },
      fail: () => {
        for (const p of batch) this.inFlight.delete(p.settlement.entry);
        this.pending = [...batch, ...this.pending];
        this.scheduleFlush(this.retryDelayMs);
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, 2_000);
      },
    };
  }

  /**
   * Sends everything pending and resolves when every settlement has landed. Called at shutdown, after the fetch
   * loop stopped (so nothing else takes batches); a failing Redis keeps it retrying until the caller gives up.
   */
  async drain(): Promise<void> {
    while (this.size > 0) {
      const taken = this.take("settle");
      if (taken) await this.send(taken);
      else if (this.sending.size > 0) await Promise.all(this.sending);
      // A batch carried by a claim still on its way: give its reply a turn of the event loop.
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private send(taken: TakenSettlements): Promise<void> {
    const sent = this.runner.run(settleCall(this.keys, this.workerId, taken.settlements)).then(
      (reply) => {
        taken.complete(parseSettleReply(reply));
        if (recordedCallbacks(reply)) this.onCallbacks();
      },
      (error: unknown) => {
        this.log[this.redisDown() ? "debug" : "warn"]({ err: error, queue: this.keys.queue }, "settle failed; retrying");
        this.observer.redisError?.({ queue: this.keys.queue, op: "settle", error });
        taken.fail();
      },
    );
    this.sending.add(sent);
    return sent.finally(() => this.sending.delete(sent));
  }

  private scheduleFlush(delayMs: number): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const flush = () => {
      this.flushScheduled = false;
      const taken = this.take("settle");
      if (taken) void this.send(taken);
    };
    // setImmediate runs after the promise callbacks of this turn, so the fetch loop gets the first chance to
    // piggyback the batch on its claim.
    if (delayMs === 0) setImmediate(flush);
    else setTimeout(flush, delayMs).unref();
  }
}
