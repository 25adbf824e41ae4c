/**
 * Moves one queue's completion callbacks on: from the `{q}:callbacks` entries the settle scripts write (in the
 * job's own slot, atomically with the settlement) into the built-in `callback` queue (another slot), through the
 * idempotent steps of shared/src/ops/callbacks.ts.
 *
 * When it runs, so that an idle queue pays nothing for it:
 * - right after a settle or claim of this worker reports that it recorded one (flag 2 in its reply): the usual
 *   path, one hop after the job finished;
 * - when a tick reports entries left over (`tick` checks with one EXISTS): a worker SIGKILLed between its settle
 *   and the move, or a move that failed. Every worker serving the queue ticks, so this is within half a lease
 *   while busy and one idle heartbeat (200 s) while idle, and at once when a worker starts;
 * - at shutdown, after the last settlements landed: what this worker recorded is moved before it leaves.
 * Never more than one pass at a time per queue and process; a kick during a pass runs one more pass after it.
 * Two workers moving at once is fine: each callback job's id is derived, the second enqueue is a no-op.
 */
import type { Logger } from "pino";
import type { JobDefinition } from "../../shared/src/job-definition";
import type { QueueKeys } from "../../shared/src/keys";
import { moveCallbacks } from "../../shared/src/ops/callbacks";
import type { ScriptRunner } from "../../shared/src/script-runner";

export interface CallbackMoverOptions {
  keys: QueueKeys;
  runner: ScriptRunner;
  /** The callback queue's keys and definition. */
  target: { keys: QueueKeys; definition: JobDefinition };
  /** True while a Redis outage is already reported: failed passes then log at debug only. */
  redisDown?: () => boolean;
  log: Logger;
}

/** A failed pass is retried after this long (and the next tick retries it anyway). */
const RETRY_MS = 1_000;

export class CallbackMover {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly o: CallbackMoverOptions) {}

  /** Entries are (or may be) waiting: move them now, or right after the pass under way. */
  kick(): void {
    if (this.stopped) return;
    this.again = true;
    this.running ??= this.loop().finally(() => (this.running = undefined));
  }

  /** Lets the pass under way (and one a kick asked for) finish; no pass starts after this. */
  async stop(): Promise<void> {
    await this.running;
    this.stopped = true;
    clearTimeout(this.retry);
  }

  private async loop(): Promise<void> {
    while (this.again) {
      this.again = false;
      try {
        const created = await moveCallbacks(this.o.runner, this.o.keys, this.o.target);
        if (created > 0) this.o.log.debug({ queue: this.o.keys.queue, created }, "completion callbacks moved to the callback queue");
      } catch (error) {
        this.o.log[this.o.redisDown?.() ? "debug" : "warn"]({ err: error, queue: this.o.keys.queue }, "moving completion callbacks failed; retrying");
        if (!this.stopped) {
          clearTimeout(this.retry);
          this.retry = setTimeout(() => this.kick(), RETRY_MS);
          this.retry.unref();
        }
        return;
      }
    }
  }
}
