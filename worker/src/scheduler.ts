/**
 * Fires a queue's recurring schedules from one timer. At start it upserts the code-defined schedules of the job
 * (code is their source of truth) and learns the queue's earliest next fire; it then sleeps until that time,
 * reads the due schedules, fires each by compare-and-set (shared/src/ops/schedules.ts) and sleeps until the
 * earliest next fire the last call returned. Every worker serving the queue does the same: the first fire of a
 * tick wins, the others change nothing, and the tick's job id is derived from schedule id + tick time, so the
 * fleet creates exactly one job per tick.
 *
 * Not polling: an idle worker's only schedule-related work between fires is reading the head of
 * `{q}:schedules:due` inside the lease's tick it already runs (heard() gets it). A schedule made or changed
 * through the API pushes the wake marker, and a worker handed a marker ticks at once, so even an idle worker
 * (which otherwise ticks every idle heartbeat) learns of it within a round trip. What a tick costs: per worker, one read and one
 * fire call (W workers: 2W commands, W-1 of them losing the compare).
 */
import type { Logger } from "pino";
import type { JobDefinition } from "../../shared/src/job-definition";
import type { QueueKeys } from "../../shared/src/keys";
import { fireSchedule, readSchedulesWithEarliest, upsertSchedules } from "../../shared/src/ops/schedules";
import type { ScriptRunner } from "../../shared/src/script-runner";
import { codeSchedules } from "../../shared/src/schedules/validate";
import type { ScheduleSpec } from "../../shared/src/schedules/spec";

/** Due schedules handled per read; more are read by the next timer, which is due at once. */
const DUE_PER_READ = 100;
/** setTimeout's limit (~24.8 days); a later fire just wakes once more on the way. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const RETRY_MS = [250, 500, 1_000, 2_000, 5_000];

export interface SchedulerOptions {
  keys: QueueKeys;
  runner: ScriptRunner;
  definition: JobDefinition;
  log: Logger;
  /** True while the Redis outage is already reported (reachability.ts): failed calls then log at debug only. */
  redisDown?: () => boolean;
  /** Told about every job a fire created (tests and traces). */
  onFired?: (event: { queue: string; schedule: string; ticks: number[]; created: number }) => void;
}

export class Scheduler {
  private readonly code: { id: string; spec: ScheduleSpec }[];
  private timer: NodeJS.Timeout | undefined;
  private nextAt = Infinity;
  private stopped = false;
  private running: Promise<void> | undefined;
  private failures = 0;
  private started = false;

  /** Throws a ConfigError for an invalid code-defined schedule (before anything is written). */
  constructor(private readonly options: SchedulerOptions) {
    this.code = codeSchedules(options.definition);
  }

  /** Upserts the code-defined schedules (removing ones gone from code) and arms the timer; retries if Redis is down. */
  async start(): Promise<void> {
    if (this.stopped) return;
    const { keys, runner, log } = this.options;
    try {
      const { earliest, removed } = await upsertSchedules(runner, keys, this.code, "code");
      if (removed > 0) log.info({ queue: keys.queue, removed }, "removed schedules no longer in code");
      this.started = true;
      this.failures = 0;
      this.nextAt = Infinity; // a retry's timer is spent
      this.wakeAt(earliest);
    } catch (error) {
      this.retry(error, () => void this.start());
    }
  }

  /** The tick's view of the earliest fire: re-arms when it is earlier than the timer (an API-made schedule). */
  heard(nextSchedule: number | undefined): void {
    if (this.started && nextSchedule !== undefined) this.wakeAt(nextSchedule);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private wakeAt(at: number): void {
    if (this.stopped || at < 0 || at >= this.nextAt) return;
    this.nextAt = at;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.fireDue(), Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
  }

  private async fireDue(): Promise<void> {
    if (this.stopped || this.running) return;
    this.nextAt = Infinity;
    this.running = this.fireOnce().finally(() => (this.running = undefined));
    await this.running;
  }

  private async fireOnce(): Promise<void> {
    const { keys, runner, definition, onFired } = this.options;
    try {
      const now = Date.now();
      const read = await readSchedulesWithEarliest(runner, keys, { mode: "due", now, limit: DUE_PER_READ });
      let earliest = read.earliest;
      for (const schedule of read.schedules) {
        const result = await fireSchedule(runner, keys, schedule, definition, now);
        earliest = result.earliest;
        if (result.fired) onFired?.({ queue: keys.queue, schedule: schedule.id, ticks: result.ticks, created: result.created });
      }
      this.failures = 0;
      this.wakeAt(earliest);
    } catch (error) {
      this.retry(error, () => void this.fireDue());
    }
  }

  private retry(error: unknown, again: () => void): void {
    if (this.stopped) return;
    const level = this.options.redisDown?.() ? "debug" : "warn";
    this.options.log[level]({ err: error, queue: this.options.keys.queue }, "schedule call failed; retrying");
    const delay = RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)]!;
    clearTimeout(this.timer);
    this.nextAt = Date.now() + delay;
    this.timer = setTimeout(again, delay);
  }
}
