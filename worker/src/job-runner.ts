/**
 * The job runner of one queue: takes a claimed job that has a slot and carries it to a queued settlement.
 *   1. launch   — the job counts as running (its entry is known to recovery) and the observer hears `started`.
 *   2. decode   — the record's fields become a JobEnvelope; unreadable ones become a poison outcome, a record of
 *                 another job type or without a handler an unrecoverable one.
 *   3. run      — runJob() (run.ts) turns whatever the handler does into a RunOutcome.
 *   4. settle   — planSettlement() (outcome.ts) turns it into one settlement with its run time (a throttled run
 *                 first counts itself on the record, count_throttle.lua, so throttles stay bounded); the Settler
 *                 coalesces it with others. The slot is freed as soon as the settlement is queued, not when it
 *                 lands, so the next claim can carry it.
 *   5. next     — the freed slot passes straight to a job claimed ahead, if any; otherwise back to the Slots.
 * Logging and progress writes happen here too; counting is the observer's (metrics.ts).
 */
import type { Logger } from "pino";
import { envelopeFromClaim } from "../../shared/src/envelope";
import { findJob, type Registry } from "../../shared/src/jobs/index";
import type { QueueKeys } from "../../shared/src/keys";
import type { ClaimedEntry } from "../../shared/src/ops/claim";
import { progressCall } from "../../shared/src/ops/read";
import { countThrottleCall } from "../../shared/src/ops/settle";
import type { ScriptRunner } from "../../shared/src/script-runner";
import type { ClaimAhead } from "./claim-ahead";
import { Deadlines } from "./deadlines";
import type { HardStop } from "./hard-stop";
import type { Lease } from "./lease";
import type { WorkerObserver } from "./observer";
import { planSettlement, type RunOutcome, type SettleTarget } from "./outcome";
import { runJob, type AnyHandler, type RunHost } from "./run";
import type { JobEnvelope } from "../../shared/src/envelope";
import type { Settler } from "./settler";
import type { Slots } from "./slots";

export interface JobRunnerOptions {
  keys: QueueKeys;
  workerId: string;
  runner: ScriptRunner;
  registry: Registry;
  handlers: Readonly<Record<string, AnyHandler>>;
  slots: Slots;
  claimAhead: ClaimAhead;
  settler: Settler;
  lease: Lease;
  /** Aborted when running jobs must be handed back now. */
  hardStop: HardStop;
  /** True once the queue stops fetching: a freed slot no longer starts a job claimed ahead. */
  isStopping(): boolean;
  observer: WorkerObserver;
  log: Logger;
}

export class JobRunner implements RunHost {
  private readonly running = new Map<string, Promise<void>>();
  /** One timer for every run timeout of this queue (deadlines.ts). */
  private readonly deadlines = new Deadlines();

  constructor(private readonly o: JobRunnerOptions) {}

  /** How many jobs run now (handlers called and not yet settled). */
  get runningCount(): number {
    return this.running.size;
  }

  /** Entries running now: still ours in Redis, so recovery must not hand them back. */
  entries(): string[] {
    return [...this.running.keys()];
  }

  /** Resolves when nothing runs any more (every run has queued its settlement). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Starts a job on a slot the caller already holds; the slot is passed on or released when the run ends. */
  launch(claimed: ClaimedEntry): void {
    this.o.observer.started?.({ queue: this.o.keys.queue, entry: claimed.entry });
    this.running.set(claimed.entry, this.runToSettlement(claimed));
  }

  /** One async frame per job (not `.catch().finally()`: two more promises per job at 10k jobs/s). */
  private async runToSettlement(claimed: ClaimedEntry): Promise<void> {
    try {
      await this.process(claimed);
    } catch (error) {
      // process() turns every handler outcome into a settlement; reaching here is a bug in this file. Dead-letter
      // the job with the error rather than die, or retry it into the same bug forever.
      this.o.log.error({ err: error, entry: claimed.entry }, "internal error while processing a job");
      const failure = error instanceof Error ? error : new Error(String(error));
      this.o.settler.queue(
        planSettlement({ kind: "unrecoverable", error: failure, reason: "internal_error" }, { entry: claimed.entry }, Date.now()),
      );
    } finally {
      this.running.delete(claimed.entry);
      const next = this.o.isStopping() ? undefined : this.o.claimAhead.next();
      if (next) this.launch(next);
      else this.o.slots.release(1);
    }
  }

  private async process({ entry, fields }: ClaimedEntry): Promise<void> {
    const { keys, registry, handlers } = this.o;
    const target: SettleTarget = { entry };
    let outcome: RunOutcome;
    let ran = false;
    const startedAt = performance.now();
    const decoded = envelopeFromClaim(keys.queue, entry, fields);
    if (!decoded.ok) {
      outcome = { kind: "poison", ...decoded.problem, raw: JSON.stringify(fields).slice(0, 1_000) };
    } else {
      target.envelope = decoded.envelope;
      // One queue per job type: a record naming another type does not belong here, whatever handlers we have.
      const name = decoded.envelope.name === keys.queue ? decoded.envelope.name : undefined;
      target.definition = name === undefined ? undefined : findJob(registry, name);
      const handler = name !== undefined && Object.hasOwn(handlers, name) ? handlers[name] : undefined;
      if (!target.definition || !handler) {
        const error = new Error(
          name === undefined
            ? `job "${decoded.envelope.name}" does not belong in queue "${keys.queue}"`
            : `no job named "${name}" is registered in this worker`,
        );
        outcome = { kind: "unrecoverable", error, reason: "unknown_job" };
      } else {
        ran = true;
        const run = runJob({
          envelope: decoded.envelope,
          definition: target.definition,
          handler,
          shutdown: this.o.hardStop,
          host: this,
          deadlines: this.deadlines,
        });
        // A synchronous handler's outcome is used as is: no promise to wait for.
        outcome = run instanceof Promise ? await run : run;
      }
    }
    const elapsedMs = performance.now() - startedAt;
    this.o.claimAhead.ran(elapsedMs);
    const durationMs = Math.round(elapsedMs);
    // Throttled runs spend no attempt, so they are counted on the record to keep them bounded (FREE_THROTTLES).
    if (outcome.kind === "throttled" && target.envelope) outcome.throttles = await this.countThrottle(target.envelope.localId);
    const settlement = planSettlement(outcome, target, Date.now(), ran ? durationMs : undefined);
    this.logOutcome(outcome, target, entry, durationMs, settlement.kind);
    if (settlement.kind === "retry") {
      this.o.settler.queue(settlement, (applied) => {
        // Only once the retry is in the delayed set: a tick that ran earlier would not have seen it.
        if (applied) this.o.lease.wakeAt(settlement.runAt);
      });
    } else {
      this.o.settler.queue(settlement);
    }
  }

  private logOutcome(outcome: RunOutcome, target: SettleTarget, entry: string, durationMs: number, kind: string): void {
    const { log, keys } = this.o;
    // Completed runs log at debug: build their fields only when someone listens (10k jobs/s pay for every object).
    if (outcome.kind === "completed" && !log.isLevelEnabled("debug")) return;
    const logFields = {
      jobId: target.envelope?.id ?? entry,
      job: target.envelope?.name ?? keys.queue,
      attempt: target.envelope?.attempt,
      durationMs,
      outcome: kind,
    };
    if (outcome.kind === "completed") log.debug(logFields, "job completed");
    else if (outcome.kind === "handBack") log.info(logFields, "job handed back (shutdown)");
    else if (outcome.kind === "throttled" && kind === "throttled") log.warn({ ...logFields, retryAfterMs: outcome.retryAfterMs }, "rate limited: queue (or the job's group) paused, job handed back");
    else if (outcome.kind === "throttled") log.warn({ ...logFields, throttles: outcome.throttles }, "rate limited too often: this throttle spends an attempt");
    else if (outcome.kind === "poison") log.error({ ...logFields, reason: outcome.reason }, `poison job dead-lettered: ${outcome.message}`);
    else log.warn({ ...logFields, err: outcome.error }, outcome.kind === "failed" ? "job failed" : "job dead-lettered");
  }

  /** The job's logger, made on the handler's first use of ctx.log (RunHost). */
  logger(envelope: JobEnvelope): Logger {
    return this.o.log.child({ jobId: envelope.id, job: envelope.name, attempt: envelope.attempt });
  }

  /** The job's throttled runs so far, this one included; undefined when Redis did not answer (then it is free). */
  private async countThrottle(localId: string): Promise<number | undefined> {
    try {
      return Number(await this.o.runner.run(countThrottleCall(this.o.keys, this.o.workerId, localId)));
    } catch (error) {
      this.o.observer.redisError?.({ queue: this.o.keys.queue, op: "throttle", error });
      return undefined;
    }
  }

  /** ctx.progress(percent) (RunHost): written on the job's status record. */
  async progress(envelope: JobEnvelope, percent: number): Promise<void> {
    const value = Math.max(0, Math.min(100, Math.round(percent)));
    try {
      await this.o.runner.run(progressCall(this.o.keys, this.o.workerId, envelope.localId, value));
    } catch (error) {
      this.o.observer.redisError?.({ queue: this.o.keys.queue, op: "progress", error });
      throw error;
    }
  }
}
