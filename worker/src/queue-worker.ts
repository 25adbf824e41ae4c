/**
 * One queue's consumer inside a worker process: the fetch loop and its lanes, and the parts it drives.
 *
 * Lifecycle of a job here (each step in the file named beside it):
 *   1. claim     — a lane reserves free slots (slots.ts) and one `claim` call moves that many entries from wait
 *                  into our in-flight list, carrying the settlements pending since the last call (settler.ts):
 *                  "finish these, give me the next" is one round trip. It may ask for more than the free slots
 *                  while runs are quick (claim-ahead.ts).
 *   2. block     — when a claim finds nothing, lane 0 parks in one BLMOVE until a producer pushes; the entry it
 *                  moves is claimed by lane 0's next call (blocking-pop.ts, which also owns recovery). When the
 *                  claim says the flow gate is closed (rate limit, concurrency, back-pressure: flow_gate.lua),
 *                  lane 0 parks instead until the reply's reopen time, or until a freed slot's wake-up marker.

 *   3. run       — each claimed job with a slot is decoded, run and turned into a settlement (job-runner.ts).
 *   4. settle    — the settlement lands inside the next claim, or on its own a turn of the event loop later.
 *   5. tick      — independently, the lease keeps our in-flight list ours and reaps expired workers (lease.ts).
 * The job's entry sits in our in-flight list from step 1 until step 4 lands, so a crash at any point leaves it
 * where the lease finds it. At stop: fetching stops, running jobs finish (or are handed back at the hard stop),
 * jobs claimed ahead are handed back at once, settlements drain, the lease's last tick hands back the rest.
 *
 * Lanes: with room for them (4 slots or more) a queue runs two claim loops, so while one lane's claim is in
 * Redis the other's jobs run in Node and neither side idles waiting for the other. Only lane 0 ever blocks in
 * BLMOVE or runs recovery; lane 1 waits for lane 0 to find work.
 */
import type { Logger } from "pino";
import { findJob, type Registry } from "../../shared/src/jobs/index";
import { JOB_DEFAULTS, type JobDefinition } from "../../shared/src/job-definition";
import { DEFAULT_PRIORITY } from "../../shared/src/priority";
import { MARKER, type QueueKeys } from "../../shared/src/keys";
import type { GroupLimits } from "../../shared/src/flow/groups";
import { claimCall, gateLimitsOf, isLongClaimNeeded, parseClaimReply, shortClaimCall, type GateLimits, type GateState } from "../../shared/src/ops/claim";
import type { ScriptRunner } from "../../shared/src/script-runner";
import type { BlockingConnection } from "./blocking-connection";
import { BlockingPop } from "./blocking-pop";
import { CallbackMover } from "./callback-mover";
import { ClaimAhead } from "./claim-ahead";
import type { HardStop } from "./hard-stop";
import { JobRunner } from "./job-runner";
import { Lease } from "./lease";
import type { WorkerObserver } from "./observer";
import { planSettlement } from "./outcome";
import type { AnyHandler } from "./run";
import { Settler } from "./settler";
import type { Slots } from "./slots";

/** Lanes need this many slots: below it, one lane's claims already keep every slot fed. */
const TWO_LANES_FROM_SLOTS = 4;

export interface QueueWorkerOptions {
  keys: QueueKeys;
  workerId: string;
  runner: ScriptRunner;
  /** Where BLMOVE is sent: connections of its own, on the node owning the queue's slot (blocking-connection.ts). */
  connection: BlockingConnection;
  registry: Registry;
  handlers: Readonly<Record<string, AnyHandler>>;
  slots: Slots;
  leaseMs: number;
  /** Heartbeat while the queue has nothing in flight (lease.ts, "Idle cost"). */
  idleHeartbeatMs?: number;
  /** How long one BLMOVE may block; the watchdog allows a little more before it declares the connection dead. */
  blockSeconds: number;
  /** Aborted when running jobs must be handed back now. */
  hardStop: HardStop;
  /** Jobs this queue may claim ahead of its free slots while runs are quick (claim-ahead.ts); 0 turns it off. */
  claimAheadLimit: number;
  /** Where this queue's completion callbacks go: the `callback` queue's keys and definition (callback-mover.ts). */
  callbackTarget: { keys: QueueKeys; definition: JobDefinition };
  observer?: WorkerObserver;
  /** True while a Redis outage is already reported once (reachability.ts): retry warnings then stay at debug. */
  redisDown?: () => boolean;
  log: Logger;
}

export class QueueWorker {
  readonly settler: Settler;
  readonly lease: Lease;
  private readonly callbacks: CallbackMover;
  private readonly pop: BlockingPop;
  private readonly claimAhead: ClaimAhead;
  private readonly jobs: JobRunner;
  private readonly observer: WorkerObserver;
  private stopping = false;
  private loops: Promise<void>[] = [];
  private laneShare = 1;
  private readonly claimsInFlight = new Set<Promise<unknown>>();
  private workWaiters: (() => void)[] = [];
  private stopped!: () => void;
  private readonly stoppedSignal = new Promise<"stopped">((resolve) => (this.stopped = () => resolve("stopped")));
  private readonly poisonTtlMs: number;
  /** The definition's rate limit and concurrency, sent with every claim (an override in Redis wins). */
  private readonly limits: GateLimits;
  /** What the flow gate said to each lane's last claim. */
  private readonly gates: GateState[] = [];
  /** The definition's default priority: the priority of the jobs in the wait list (priority.ts). */
  private readonly listPriority: number;
  /** The definition's per-group limits, sent with every claim (groups.lua). */
  private readonly groupLimits: GroupLimits | undefined;

  constructor(private readonly o: QueueWorkerOptions) {
    const definition = findJob(o.registry, o.keys.queue);
    const observer = (this.observer = o.observer ?? {});
    this.poisonTtlMs = definition?.retention.deadMs ?? JOB_DEFAULTS.retention.deadMs;
    this.limits = gateLimitsOf(definition);
    this.listPriority = definition?.priority ?? DEFAULT_PRIORITY;
    this.groupLimits = definition?.groupLimits;
    const redisDown = o.redisDown ?? (() => false);
    const callbacks = (this.callbacks = new CallbackMover({ keys: o.keys, runner: o.runner, target: o.callbackTarget, redisDown, log: o.log }));
    this.settler = new Settler(o.keys, o.workerId, o.runner, o.log, observer, redisDown, () => callbacks.kick());
    this.lease = new Lease({
      keys: o.keys,
      workerId: o.workerId,
      runner: o.runner,
      leaseMs: o.leaseMs,
      idleHeartbeatMs: o.idleHeartbeatMs,
      maxStalls: definition?.maxStalls ?? JOB_DEFAULTS.maxStalls,
      deadTtlMs: definition?.retention.deadMs ?? JOB_DEFAULTS.retention.deadMs,
      observer,
      redisDown,
      onCallbacksPending: () => callbacks.kick(),
      log: o.log,
    });
    this.pop = new BlockingPop({
      keys: o.keys,
      workerId: o.workerId,
      runner: o.runner,
      connection: o.connection,
      blockSeconds: o.blockSeconds,
      stopped: this.stoppedSignal,
      isStopping: () => this.stopping,
      observer,
      log: o.log,
    });
    this.claimAhead = new ClaimAhead(o.claimAheadLimit);
    this.jobs = new JobRunner({
      keys: o.keys,
      workerId: o.workerId,
      runner: o.runner,
      registry: o.registry,
      handlers: o.handlers,
      slots: o.slots,
      claimAhead: this.claimAhead,
      settler: this.settler,
      lease: this.lease,
      hardStop: o.hardStop,
      isStopping: () => this.stopping,
      observer,
      log: o.log,
    });
  }

  get keys(): QueueKeys {
    return this.o.keys;
  }

  /** Jobs of this queue running now. Not the slots it holds: a lane's claim in flight holds slots too. */
  get runningCount(): number {
    return this.jobs.runningCount;
  }

  /** Registers the lease, then starts the lanes; false if Redis did not answer the first tick (it keeps trying). */
  async start(): Promise<boolean> {
    const registered = await this.lease.start();
    const lanes = this.o.slots.size >= TWO_LANES_FROM_SLOTS ? 2 : 1;
    this.laneShare = Math.ceil(this.o.slots.size / lanes);
    this.loops = Array.from({ length: lanes }, (_, lane) => this.fetchLoop(lane));
    return registered;
  }

  /** Stops claiming; running jobs go on. */
  async stopFetching(): Promise<void> {
    this.stopping = true;
    this.stopped();
    await Promise.all(this.loops);
    await this.pop.stop();
  }

  /** After stopFetching: hands back what was claimed ahead, waits for running jobs, drains settlements. */
  async runningSettled(): Promise<void> {
    // Claimed ahead but never started: first in line again, attempt given back.
    for (const claimed of this.claimAhead.drain()) {
      this.settler.queue(planSettlement({ kind: "handBack" }, { entry: claimed.entry }, Date.now()));
    }
    await this.jobs.idle();
    await this.settler.drain();
    // What the last settlements recorded is moved on before the worker leaves (else the next tick of a peer).
    await this.callbacks.stop();
  }

  private async fetchLoop(lane: number): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      await Promise.race([this.o.slots.available(), this.stoppedSignal]);
      if (this.stopping) break;
      try {
        if (lane === 0 && this.pop.needsRecovery) await this.recover();
        const claimed = await this.claim(lane);
        failures = 0;
        if (claimed > 0) this.signalWork();
        const gate = this.gates[lane];
        if (claimed >= 0 && gate?.state === "closed" && !this.stopping) {
          // Held back by the flow gate: no claim until it reopens (lane 1 until lane 0 found work again).
          if (lane === 0) await this.pop.waitForCapacity(gate.reopenAt);
          else await Promise.race([this.nextWork(), this.stoppedSignal]);
        } else if (claimed === 0 && !this.stopping) {
          if (lane === 0) {
            // A BLMOVE that timed out moved nothing from a list that stayed empty: block again without a claim.
            // Saves a command per timeout, and a claim here could drop a busy peer's marker without us ticking.
            // Not when this claim asked for recovery (an entry not ours as sent, e.g. not UTF-8): recover first, or
            // that entry sits in our in-flight list for a whole BLMOVE timeout on an otherwise quiet queue.
            while (!this.pop.needsRecovery && !this.stopping) {
              await this.pop.block();
              if (this.pop.moved !== undefined) break;
            }
            // Lane 1 is not woken here but by the claim that follows, once it took jobs: woken now, its claim (empty:
            // the entry is in our in-flight list, not in wait) went out first on the one command connection and the
            // pickup's claim queued behind it: ≈ 0.2 ms on every pickup from idle (infra/bench/analysis.md, issue 9).
          } else await Promise.race([this.nextWork(), this.stoppedSignal]);
        }
      } catch (error) {
        failures += 1;
        this.pop.needsRecovery = true;
        if (!this.stopping) {
          this.o.log[this.o.redisDown?.() ? "debug" : "warn"]({ err: error, queue: this.o.keys.queue }, "fetch failed; retrying");
        }
        await Promise.race([new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** failures, 5_000))), this.stoppedSignal]);
      }
    }
  }

  /** Claims up to this lane's share of the free slots; -1 when another lane took the last free slot first. */
  private async claim(lane: number): Promise<number> {
    const { keys, workerId, runner, slots } = this.o;
    // No await between this check and sending the claim (see BlockingPop.recovery).
    for (let recovery = this.pop.recovery; recovery; recovery = this.pop.recovery) await recovery;
    const reserved = slots.reserve(this.laneShare);
    if (reserved === 0) return -1;
    const moved = lane === 0 ? this.pop.moved : undefined;
    // Claiming ahead under a limit would hold slots (or rate) other workers could use, and start held jobs later
    // than the rate window counted them: only unlimited queues claim ahead.
    const ahead = this.gates[lane]?.state === "none" ? this.claimAhead.wanted(this.stopping) : 0;
    const taken = this.settler.take("claim");
    const sentAt = performance.now();
    // leaseMs: a claim that takes jobs while our lease says idle makes it short and wakes a peer (claim.lua).
    // listPriority: the priority of the jobs in the wait list, which claim merges with the priority zset.
    const options = {
      moved,
      settlements: taken?.settlements,
      poisonTtlMs: this.poisonTtlMs,
      leaseMs: this.o.leaseMs,
      limits: this.limits,
      listPriority: this.listPriority,
      groupLimits: this.groupLimits,
    };
    const claim = () => runner.run(claimCall(keys, workerId, reserved + ahead, options));
    // A pickup from idle (one BLMOVE'd id, nothing to carry) takes claim_short, about half of claim's time in
    // Redis; when it answers that the queue needs claim after all (it changed nothing), claim follows.
    const short = shortClaimCall(keys, workerId, options);
    // What the call asked for: claim_short asks for its one entry only (claim-ahead must not read that as drained).
    let asked = reserved + ahead;
    const sent = short
      ? runner.run(short).then((reply) => {
          if (isLongClaimNeeded(reply)) return claim();
          asked = 1;
          return reply;
        })
      : claim();
    this.claimsInFlight.add(sent);
    let raw: unknown;
    try {
      raw = await sent;
    } catch (error) {
      slots.release(reserved);
      taken?.fail();
      // The claim may have run before its reply was lost: whatever it moved, and the entry BLMOVE handed us,
      // sit in our in-flight list unknown to this process. Recovery puts them back in line.
      if (lane === 0) this.pop.clearMoved();
      // And if it took jobs while our lease read idle, it made the lease short (claim.lua) without us knowing:
      // tick within half a lease, as after a claim that took jobs, or peers reap us before our idle heartbeat.
      this.lease.busy();
      this.observer.redisError?.({ queue: keys.queue, op: "claim", error });
      throw error;
    } finally {
      this.claimsInFlight.delete(sent);
    }
    if (lane === 0) this.pop.clearMoved();
    const reply = parseClaimReply(raw);
    if (!reply.movedFound) this.pop.needsRecovery = true;
    this.gates[lane] = reply.gate;
    taken?.complete(reply.settled);
    if (reply.callbacksRecorded) this.callbacks.kick();
    this.lease.wakeAt(reply.nextDue);
    if (reply.claimed.length > 0) this.lease.busy();
    // A marker: a producer's wake-up for an earlier delayed job (the claim promoted what was due), or a peer that
    // just went busy and needs a watcher. Tick now, after this claim: the tick learns the peer's short expiry.
    // Likewise after a BLMOVE'd entry that started nothing (stale): a peer's tick may have shortened our idle
    // lease meanwhile (an entry sat in our in-flight list, tick.lua), and our next idle heartbeat is minutes away.
    if (moved === MARKER || (moved !== undefined && reply.claimed.length === 0)) this.lease.wakeAt(Date.now());
    const toRun = reply.claimed.slice(0, reserved);
    slots.release(reserved - toRun.length);
    this.claimAhead.claimed(asked, reply.claimed.length);
    this.observer.claimed?.({
      queue: keys.queue,
      entries: reply.claimed.map((claimed) => claimed.entry),
      started: toRun.length,
      ms: performance.now() - sentAt,
    });
    for (const entry of toRun) this.jobs.launch(entry);
    this.claimAhead.hold(reply.claimed.slice(reserved));
    return reply.claimed.length;
  }

  private recover(): Promise<void> {
    return this.pop
      .recover(this.claimsInFlight, () => [...this.jobs.entries(), ...this.claimAhead.entries(), ...this.settler.entries()])
      .then(() => {
        // Tick now. What made us recover (a lost BLMOVE or claim reply) left an entry in our in-flight list, and a
        // peer's tick that saw it there shortened our idle lease to one lease (tick.lua). Recovery emptied the list
        // but does not touch the lease: left alone it runs out, a peer reaps our entry, and we stay unregistered
        // until our next idle heartbeat (minutes), with nobody to reap a job a BLMOVE moves to us meanwhile.
        this.lease.wakeAt(Date.now());
      })
      .catch((error: unknown) => {
        this.observer.redisError?.({ queue: this.o.keys.queue, op: "recover", error });
        throw error;
      });
  }

  private signalWork(): void {
    const waiters = this.workWaiters;
    this.workWaiters = [];
    for (const wake of waiters) wake();
  }

  private nextWork(): Promise<void> {
    return new Promise((resolve) => this.workWaiters.push(resolve));
  }
}
