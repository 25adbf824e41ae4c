/**
 * A worker process: one command connection, one blocking connection per queue, a shared concurrency budget, and
 * a QueueWorker per queue. `stop()` is the graceful shutdown: stop claiming, let running jobs finish within the
 * grace period, hand the rest back, flush settlements, leave the registry, close connections.
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import { newLocalId } from "../../shared/src/ids";
import type { Registry } from "../../shared/src/jobs/index";
import { queueKeys } from "../../shared/src/keys";
import { callbackJob } from "../../shared/src/jobs/callback";
import { CALLBACK_JOB_NAME } from "../../shared/src/callbacks";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { HardStop } from "./hard-stop";
import { parseStatsReply, statsCall, type QueueStats } from "../../shared/src/ops/read";
import { closeGuard } from "../../shared/src/runners/close-guard";
import { combineObservers, type WorkerObserver } from "./observer";
import { QueueWorker } from "./queue-worker";
import { RedisReachability, redactingErrSerializer } from "./reachability";
import { blockingConnection, type BlockingConnection } from "./blocking-connection";
import { createCommandConnection, type CommandConnection } from "./redis-connections";
import type { AnyHandler } from "./run";
import { Slots } from "./slots";
import { createThreadPool, type ThreadPool } from "./thread-pool";
import { Scheduler } from "./scheduler";

/** Quick jobs at low concurrency gain the most from claiming ahead: 10 runs per round trip at concurrency 1. */
const DEFAULT_MIN_CLAIM_AHEAD = 10;
/** 5 minutes: with the idle heartbeat's 200 s, an idle queue costs 0.5 commands/min (lease.ts, "Idle cost"). */
const DEFAULT_BLOCK_SECONDS = 300;

export interface WorkerOptions {
  /** One Redis, or with `cluster` the seed nodes of a Redis Cluster, comma-separated (REDIS_CLUSTER=true). */
  redisUrl: string;
  cluster?: boolean;
  prefix?: string;
  registry: Registry;
  /** Handlers by job name; jobs defined with runIn "thread" are looked up in the thread bundle instead. */
  handlers: Readonly<Record<string, AnyHandler>>;
  /** Queues (job names) to serve; default: every job that has a handler. */
  queues?: readonly string[];
  concurrency: number;
  /**
   * Claim-ahead limit (WORKER_PREFETCH): jobs a queue may claim beyond its free slots while runs are quick
   * (claim-ahead.ts). Default: the concurrency, at least 10; 0 turns it off.
   */
  prefetch?: number;
  leaseMs: number;
  shutdownGraceMs: number;
  /**
   * How long one BLMOVE blocks (seconds). Default 300: 0.2 commands/min per queue while idle; the watchdog that
   * finds a silently dead blocking connection waits 5 s longer (TCP keepalive usually finds it sooner).
   */
  blockSeconds?: number;
  /** Lease heartbeat per queue while it has nothing in flight (lease.ts, "Idle cost"). Default 200 s. */
  idleHeartbeatMs?: number;
  threads?: number;
  /** The thread bundle (dist/worker/thread.js); required when a served job runs in threads. */
  threadFile?: URL | string;
  /** Who hears what the worker does (metrics.ts's observer, the chaos trace, the bench); see observer.ts. */
  observers?: readonly WorkerObserver[];
  log: Logger;
}

export interface Worker {
  readonly id: string;
  readonly commands: CommandConnection;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Second signal: hand running jobs back now (the lease still protects anything not handed back). */
  abortRunning(): void;
  /** Healthy while the command connection to Redis is ready; otherwise why not (for /healthz). */
  health(): { healthy: boolean; redis: string; cause?: string };
  /** Jobs running in this process now (handlers called, not yet settled). */
  activeCount(): number;
  /** One `stats` call and one ZCOUNT per served queue (for the metrics' depth gauges; never per job). */
  readStats(): Promise<QueueDepth[]>;
}

/** A queue's stats, plus its delayed jobs already due (backlog the next tick promotes; autoscaling counts it). */
export interface QueueDepth extends QueueStats {
  due: number;
}

export function createWorker(options: WorkerOptions): Worker {
  const id = `${hostname().replace(/[^A-Za-z0-9-]/g, "")}-${process.pid}-${newLocalId().slice(-6)}`;
  // Every error a Redis call produced may carry its command; an AUTH's carries the password (reachability.ts).
  const log = options.log.child({ workerId: id }, { serializers: { err: redactingErrSerializer } });
  const observer = combineObservers(options.observers ?? []);
  const commands = createCommandConnection(options.redisUrl, `offload:${id}:commands`, { cluster: options.cluster });
  commands.on("error", (error) => {
    log.debug({ err: error }, "redis command connection error");
    observer.redisError?.({ op: "connection", error });
  });
  commands.on("reconnecting", () => observer.reconnecting?.({ connection: "commands" }));
  const reachability = new RedisReachability({ url: options.redisUrl, log });
  reachability.watch(commands);
  const redisDown = () => reachability.down;
  const runner = ioredisRunner(commands);
  const slots = new Slots(options.concurrency);
  const hardStop = new HardStop();

  const queueNames = options.queues ?? Object.keys(options.registry);
  let pool: ThreadPool | undefined;
  const handlers: Record<string, AnyHandler> = { ...options.handlers };
  for (const name of queueNames) {
    const definition = options.registry[name];
    if (!definition) throw new Error(`no job named "${name}" in the registry`);
    if (definition.runIn === "thread") {
      if (!options.threadFile) throw new Error(`job "${name}" runs in threads but no threadFile was given`);
      pool ??= createThreadPool(options.threadFile, options.threads ?? 2);
      handlers[name] = pool.handlerFor(name);
    } else if (!handlers[name]) {
      throw new Error(`no handler for job "${name}"`);
    }
  }

  // Recurring schedules: one timer per served queue (scheduler.ts), told the earliest fire by its queue's ticks.
  const schedulers = new Map(
    queueNames.map((name) => [name, new Scheduler({ keys: queueKeys(name, options.prefix), runner, definition: options.registry[name]!, log, redisDown })]),
  );
  const queueObserver = combineObservers([observer, { ticked: (e) => schedulers.get(e.queue)?.heard(e.nextSchedule) }]);

  // Completion callbacks of every served queue go to the callback queue (whether or not this process serves it),
  // with the registry's definition of it when it has one (tests shorten its retries).
  const callbackTarget = {
    keys: queueKeys(CALLBACK_JOB_NAME, options.prefix),
    definition: options.registry[CALLBACK_JOB_NAME] ?? callbackJob,
  };
  const blockingConnections: BlockingConnection[] = [];
  const queues = queueNames.map((name) => {
    const keys = queueKeys(name, options.prefix);
    const connection = blockingConnection({
      url: options.redisUrl,
      name: `offload:${id}:blocking:${name}`,
      commands,
      slotKey: keys.wait,
      onConnection: (blocking) => {
        blocking.on("error", (error) => log.debug({ err: error, queue: name }, "redis blocking connection error"));
        blocking.on("reconnecting", () => observer.reconnecting?.({ connection: "blocking" }));
      },
    });
    blockingConnections.push(connection);
    return new QueueWorker({
      keys,
      workerId: id,
      runner,
      connection,
      registry: options.registry,
      handlers,
      slots,
      leaseMs: options.leaseMs,
      idleHeartbeatMs: options.idleHeartbeatMs,
      blockSeconds: options.blockSeconds ?? DEFAULT_BLOCK_SECONDS,
      hardStop,
      claimAheadLimit: options.prefetch ?? Math.max(DEFAULT_MIN_CLAIM_AHEAD, options.concurrency),
      callbackTarget,
      observer: queueObserver,
      redisDown,
      log,
    });
  });
  /** Jobs running now, in every queue (what `activeCount` reports): slots held for a claim in flight are not jobs. */
  const runningCount = () => queues.reduce((sum, q) => sum + q.runningCount, 0);

  return {
    id,
    commands,
    async start() {
      const registered = await Promise.all(queues.map((q) => q.start()));
      await Promise.all([...schedulers.values()].map((scheduler) => scheduler.start()));
      const fields = { queues: queueNames, concurrency: options.concurrency, redis: reachability.address };
      if (registered.every(Boolean)) log.info(fields, "worker started");
      // Not "started" as if all were well: the loops keep retrying, and jobs start once Redis answers.
      else log.warn(fields, `worker waiting for Redis at ${reachability.address} (${reachability.cause ?? "no answer yet"})`);
    },
    async stop() {
      log.info("stopping: no new jobs; waiting for running jobs");
      for (const scheduler of schedulers.values()) scheduler.stop();
      await Promise.all(queues.map((q) => q.stopFetching()));
      const grace = setTimeout(() => {
        log.warn({ running: runningCount() }, "shutdown grace period over; handing running jobs back");
        hardStop.abort();
      }, options.shutdownGraceMs);
      await Promise.all(queues.map((q) => q.runningSettled()));
      clearTimeout(grace);
      await Promise.all(queues.map((q) => q.lease.stop()));
      await pool?.close();
      commands.disconnect();
      for (const connection of blockingConnections) connection.close();
      log.info("worker stopped");
    },
    abortRunning: () => hardStop.abort(),
    health: () => {
      const healthy = commands.status === "ready";
      return healthy ? { healthy, redis: reachability.address } : { healthy, redis: reachability.address, cause: reachability.cause ?? commands.status };
    },
    activeCount: runningCount,
    readStats: () =>
      Promise.all(
        queues.map(async (q) => {
          const [stats, due] = await Promise.all([
            runner.run(statsCall(q.keys)),
            closeGuard(commands)(commands.zcount(q.keys.delayed, "-inf", Date.now())),
          ]);
          return { ...parseStatsReply(q.keys, stats), due: Number(due) };
        }),
      ),
  };
}
