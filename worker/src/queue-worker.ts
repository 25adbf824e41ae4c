/**
 * One queue's consumer inside a worker process. Lifecycle of a job here:
 *   1. claim    — `claim` moves up to the free slots' worth of ids from wait into our in-flight list in one call
 *                 (the pending settlements ride along in the same pipeline); when it finds nothing, one BLMOVE
 *                 blocks until a producer pushes, and the id it moves is claimed on the next round.
 *   2. decode   — the record's fields become a JobEnvelope; unreadable ones are dead-lettered as poison.
 *   3. run      — runJob() turns whatever the handler does into a RunOutcome (outcome.ts).
 *   4. settle   — planSettlement() turns the outcome into one settlement; the Settler coalesces them.
 * The job's id sits in our in-flight list from step 1 until step 4 lands, so a crash at any point leaves it
 * where the lease (lease.ts) finds it.
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { envelopeFromClaim } from "../../shared/src/envelope";
import { findJob, type Registry } from "../../shared/src/jobs/index";
import { JOB_DEFAULTS } from "../../shared/src/job-definition";
import type { QueueKeys } from "../../shared/src/keys";
import { claimCall, parseClaimReply, type ClaimedEntry } from "../../shared/src/ops/claim";
import { progressCall } from "../../shared/src/ops/read";
import { recoverCall } from "../../shared/src/ops/recover";
import type { ScriptRunner } from "../../shared/src/script-runner";
import { closeGuard } from "../../shared/src/runners/close-guard";
import type { HardStop } from "./hard-stop";
import { Lease } from "./lease";
import type { WorkerMetrics } from "./metrics";
import { planSettlement, type RunOutcome, type SettleTarget } from "./outcome";
import { runJob, type AnyHandler } from "./run";
import { Settler } from "./settler";
import type { Slots } from "./slots";

/** Above this average run time, claiming ahead costs other workers more than the round trips it saves. */
const PREFETCH_MAX_RUN_MS = 20;

export interface QueueWorkerOptions {
  keys: QueueKeys;
  workerId: string;
  runner: ScriptRunner;
  /** A connection of its own: it spends its life inside BLMOVE. */
  blocking: Redis;
  /** `CLIENT KILL ID` on the command connection. */
  killClient(id: number): Promise<void>;
  registry: Registry;
  handlers: Readonly<Record<string, AnyHandler>>;
  slots: Slots;
  leaseMs: number;
  /** How long one BLMOVE may block; the watchdog allows a little more before it declares the connection dead. */
  blockSeconds: number;
  /** Aborted when running jobs must be handed back now. */
  hardStop: HardStop;
  /**
   * How many jobs this queue may hold claimed but not yet started, so that one round trip feeds many quick runs.
   * Used only while jobs are quick and the queue is busy (see shouldPrefetch); 0 turns it off.
   */
  prefetch: number;
  metrics?: WorkerMetrics;
  log: Logger;
}

export class QueueWorker {
  readonly settler: Settler;
  readonly lease: Lease;
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;
  /** An entry BLMOVE moved into our in-flight list, to be claimed by lane 0's next call. */
  private moved: string | undefined;
  private needsRecovery = false;
  private loops: Promise<void>[] = [];
  private laneShare = 1;
  private readonly claimsInFlight = new Set<Promise<unknown>>();
  /** Claimed (active in Redis, in our in-flight list) but waiting for a slot; started as running jobs end. */
  private readonly prefetched: ClaimedEntry[] = [];
  /** Moving average of run time; unknown (Infinity) until a job has run, so nothing is prefetched blind. */
  private averageRunMs = Infinity;
  private lastClaimFilled = false;
  /** Server-side client id of the blocking connection, and of earlier ones that closed on our side. */
  private blockingId: number | undefined;
  private readonly staleBlockingIds: number[] = [];
  /** Set while `recover` runs; claims wait for it. */
  private recovering: Promise<void> | undefined;
  private workWaiters: (() => void)[] = [];
  private stopped!: () => void;
  private readonly stoppedSignal = new Promise<"stopped">((resolve) => (this.stopped = () => resolve("stopped")));

  private readonly poisonTtlMs: number;

  constructor(private readonly o: QueueWorkerOptions) {
    const definition = findJob(o.registry, o.keys.queue);
    this.poisonTtlMs = definition?.retention.deadMs ?? JOB_DEFAULTS.retention.deadMs;
    o.blocking.on("close", () => {
      if (this.blockingId !== undefined) this.staleBlockingIds.push(this.blockingId);
      this.blockingId = undefined;
    });
    this.settler = new Settler(o.keys, o.workerId, o.runner, o.log);
    this.lease = new Lease({
      keys: o.keys,
      workerId: o.workerId,
      runner: o.runner,
      leaseMs: o.leaseMs,
      maxStalls: definition?.maxStalls ?? JOB_DEFAULTS.maxStalls,
      deadTtlMs: definition?.retention.deadMs ?? JOB_DEFAULTS.retention.deadMs,
      log: o.log,
    });
  }

  async start(): Promise<void> {
    await this.lease.start();
    // Two claim lanes when there is room for them: while one lane's claim is in Redis, the other's jobs run in
    // Node, so neither side idles waiting for the other. Only lane 0 ever blocks in BLMOVE or runs recovery.
    const lanes = this.o.slots.size >= 4 ? 2 : 1;
    this.laneShare = Math.ceil(this.o.slots.size / lanes);
    this.loops = Array.from({ length: lanes }, (_, lane) => this.fetchLoop(lane));
  }

  /** Stops claiming; running jobs go on. */
  async stopFetching(): Promise<void> {
    this.stopping = true;
    this.stopped();
    await Promise.all(this.loops);
    // Closing our socket is not enough: Redis may keep the BLMOVE blocked a moment longer and move what the stop
    // tick hands back straight into a list nobody will reap. Killing the client on the server ends it for sure.
    await this.killBlockingClients(true);
    this.o.blocking.disconnect(false);
  }

  /**
   * Ends, on the server, blocking connections that are gone on our side (or, at stop, the current one): a
   * half-open connection's BLMOVE could otherwise still move a job into our list long after we stopped waiting.
   */
  private async killBlockingClients(includeCurrent: boolean): Promise<void> {
    const ids = this.staleBlockingIds.splice(0);
    if (includeCurrent && this.blockingId !== undefined) ids.push(this.blockingId);
    await Promise.all(ids.map((id) => this.o.killClient(id).catch(() => {})));
  }

  async runningSettled(): Promise<void> {
    // Claimed ahead but never started: back to the front of the queue, attempt given back.
    for (const claimed of this.prefetched.splice(0)) {
      void this.settler.add(planSettlement({ kind: "interrupted" }, { entry: claimed.entry }, Date.now()));
    }
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
    await this.settler.drain();
  }

  get activeCount(): number {
    return this.running.size;
  }

  private async fetchLoop(lane: number): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      await Promise.race([this.o.slots.available(), this.stoppedSignal]);
      if (this.stopping) break;
      try {
        if (lane === 0 && this.needsRecovery) await this.recover();
        const claimed = await this.claim(lane);
        failures = 0;
        if (claimed > 0) this.signalWork();
        else if (claimed === 0 && !this.stopping) {
          if (lane === 0) await this.blockForWork();
          else await Promise.race([this.nextWork(), this.stoppedSignal]);
        }
      } catch (error) {
        failures += 1;
        this.needsRecovery = true;
        if (!this.stopping) this.o.log.warn({ err: error, queue: this.o.keys.queue }, "fetch failed; retrying");
        await Promise.race([new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** failures, 5_000))), this.stoppedSignal]);
      }
    }
  }

  /** Claims up to this lane's share of the free slots; -1 when another loop took the last free slot first. */
  private async claim(lane: number): Promise<number> {
    const { keys, workerId, runner, slots } = this.o;
    while (this.recovering) await this.recovering;
    const reserved = slots.reserve(this.laneShare);
    if (reserved === 0) return -1;
    const moved = lane === 0 ? this.moved : undefined;
    const ahead = this.shouldPrefetch() ? Math.max(0, this.o.prefetch - this.prefetched.length) : 0;
    const taken = this.settler.take();
    const sent = runner.run(
      claimCall(keys, workerId, reserved + ahead, { moved, settlements: taken?.settlements, poisonTtlMs: this.poisonTtlMs }),
    );
    this.claimsInFlight.add(sent);
    let raw: unknown;
    try {
      raw = await sent;
    } catch (error) {
      slots.release(reserved);
      taken?.fail();
      // The claim may have run before its reply was lost: whatever it moved, and the entry BLMOVE handed us,
      // sit in our in-flight list unknown to this process. Recovery puts them back in line.
      if (lane === 0) this.moved = undefined;
      throw error;
    } finally {
      this.claimsInFlight.delete(sent);
    }
    if (lane === 0) this.moved = undefined;
    const reply = parseClaimReply(raw);
    if (!reply.movedFound) this.needsRecovery = true;
    taken?.complete(reply.settled);
    this.lease.wakeAt(reply.nextDue);
    const toRun = reply.claimed.slice(0, reserved);
    slots.release(reserved - toRun.length);
    this.lastClaimFilled = reply.claimed.length >= reserved + ahead;
    for (const entry of toRun) this.launch(entry);
    this.prefetched.push(...reply.claimed.slice(reserved));
    return reply.claimed.length;
  }

  /**
   * Prefetch only pays when runs are short and the queue is busy: then the next jobs are claimed while these
   * run, and a handful of quick jobs cost one round trip instead of one each. For slow jobs it would make other
   * workers idle while jobs wait here, so it stops as soon as runs take longer than a round trip or two.
   */
  private shouldPrefetch(): boolean {
    return this.o.prefetch > 0 && this.lastClaimFilled && this.averageRunMs < PREFETCH_MAX_RUN_MS && !this.stopping;
  }

  private signalWork(): void {
    const waiters = this.workWaiters;
    this.workWaiters = [];
    for (const wake of waiters) wake();
  }

  private nextWork(): Promise<void> {
    return new Promise((resolve) => this.workWaiters.push(resolve));
  }

  /** One BLMOVE, raced against a watchdog: a silently dead connection must not park the loop forever. */
  private async blockForWork(): Promise<void> {
    const { keys, workerId, blocking, blockSeconds } = this.o;
    let watchdog: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"watchdog">((resolve) => {
      watchdog = setTimeout(() => resolve("watchdog"), blockSeconds * 1_000 + 5_000);
    });
    try {
      if (blocking.status === "end") blocking.connect().catch(() => {});
      // Learn this connection's id once per connection, so a later recovery or stop can end it server-side.
      this.blockingId ??= Number(await closeGuard(blocking)(blocking.client("ID")));
      const result = await Promise.race([
        closeGuard(blocking)(blocking.blmove(keys.wait, keys.active(workerId), "RIGHT", "LEFT", blockSeconds)),
        timedOut,
        this.stoppedSignal,
      ]);
      if (result === "stopped") return;
      if (result === "watchdog") {
        this.o.log.warn({ queue: keys.queue }, "blocking connection unresponsive; reconnecting");
        blocking.disconnect(true);
        this.needsRecovery = true;
        return;
      }
      if (result !== null) {
        this.moved = result;
        this.signalWork();
      }
    } catch (error) {
      if (this.stopping) return;
      // The BLMOVE may have moved an id before the connection died: recovery hands it back.
      this.needsRecovery = true;
      throw error;
    } finally {
      clearTimeout(watchdog);
    }
  }

  /**
   * Runs on lane 0 only, never during its own BLMOVE. Exclusive: it waits out the other lane's claim in flight and
   * holds new claims until it is done, because a claim landing between "these are the ids I know" and the script
   * (a NOSCRIPT retry is one such gap) would have its fresh jobs handed back while they run.
   */
  private async recover(): Promise<void> {
    let done!: () => void;
    this.recovering = new Promise<void>((resolve) => (done = resolve));
    try {
      await Promise.allSettled([...this.claimsInFlight]);
      await this.killBlockingClients(false);
      const known = [...this.running.keys(), ...this.prefetched.map((p) => p.entry), ...this.settler.entries()];
      if (this.moved !== undefined) known.push(this.moved);
      const returned = Number(await this.o.runner.run(recoverCall(this.o.keys, this.o.workerId, known)));
      this.needsRecovery = false;
      if (returned > 0) this.o.log.warn({ queue: this.o.keys.queue, returned }, "handed back entries whose claim reply was lost");
    } finally {
      this.recovering = undefined;
      done();
    }
  }

  private launch(claimed: ClaimedEntry): void {
    const done = this.process(claimed)
      .catch((error: unknown) => {
        // process() turns every handler outcome into a settlement; reaching here is a bug in this file. Dead-letter
        // the job with the error rather than die, or retry it into the same bug forever.
        this.o.log.error({ err: error, entry: claimed.entry }, "internal error while processing a job");
        const failure = error instanceof Error ? error : new Error(String(error));
        void this.settler.add(
          planSettlement({ kind: "unrecoverable", error: failure, reason: "internal_error" }, { entry: claimed.entry }, Date.now()),
        );
      })
      .finally(() => {
      this.running.delete(claimed.entry);
      // The slot passes straight to a job we already hold, if any.
      const next = this.stopping ? undefined : this.prefetched.shift();
      if (next) this.launch(next);
      else this.o.slots.release(1);
    });
    this.running.set(claimed.entry, done);
  }

  private async process({ entry, fields }: ClaimedEntry): Promise<void> {
    const { keys, registry, handlers, log, metrics } = this.o;
    const target: SettleTarget = { entry };
    let outcome: RunOutcome;
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
        outcome = await runJob({
          envelope: decoded.envelope,
          definition: target.definition,
          handler,
          shutdown: this.o.hardStop,
          progress: (percent) => this.progress(entry, percent),
          log: () => log.child({ jobId: decoded.envelope.id, job: decoded.envelope.name, attempt: decoded.envelope.attempt }),
        });
      }
    }
    const elapsedMs = performance.now() - startedAt;
    this.averageRunMs = this.averageRunMs === Infinity ? elapsedMs : this.averageRunMs * 0.9 + elapsedMs * 0.1;
    const durationMs = Math.round(elapsedMs);
    const settlement = planSettlement(outcome, target, Date.now());
    metrics?.observe(keys.queue, settlement.kind, durationMs / 1_000);
    const logFields = {
      jobId: target.envelope?.id ?? entry,
      job: target.envelope?.name ?? keys.queue,
      attempt: target.envelope?.attempt,
      durationMs,
      outcome: settlement.kind,
    };
    if (outcome.kind === "completed") log.debug(logFields, "job completed");
    else if (outcome.kind === "interrupted") log.info(logFields, "job handed back (shutdown)");
    else if (outcome.kind === "poison") log.error({ ...logFields, reason: outcome.reason }, `poison job dead-lettered: ${outcome.message}`);
    else log.warn({ ...logFields, err: outcome.error }, outcome.kind === "failed" ? "job failed" : "job dead-lettered");
    // The slot is freed as soon as the settlement is queued (not when it lands), so the next claim can carry it.
    void this.settler.add(settlement).then((applied) => {
      // Only once the retry is in the delayed set: a tick that ran earlier would not have seen it.
      if (applied && settlement.kind === "retry") this.lease.wakeAt(settlement.runAt);
    });
  }

  private async progress(entry: string, percent: number): Promise<void> {
    const value = Math.max(0, Math.min(100, Math.round(percent)));
    await this.o.runner.run(progressCall(this.o.keys, this.o.workerId, entry, value));
  }
}
