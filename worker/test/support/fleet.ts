/**
 * A test file's fleet: one real redis-server started before its tests, the test worker processes a test forks
 * (every one still alive SIGKILLed and awaited after each test, so no test inherits another's workers) and the
 * workers it starts in this process (stopped after each test), and the server stopped after the file. Each test
 * calls `freshQueue()` for a key prefix of its own.
 * @example
 * const fleet = useWorkerFleet({ prefix: "flow", leaseMs: 2_000, cleanup: [RUNNING_KEY] });
 * it("…", async () => {
 *   const keys = fleet.freshQueue();
 *   await fleet.spawn(3, { FLOW_CONCURRENCY: "1" });
 * });
 */
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll } from "vitest";
import { queueKeys, type QueueKeys } from "../../../shared/src/keys";
import { ioredisRunner } from "../../../shared/src/runners/ioredis-runner";
import type { ScriptRunner } from "../../../shared/src/script-runner";
import { startRedisServer, type RedisServerHandle } from "../../../infra/runtime/redis-server";
import { createWorker, type Worker, type WorkerOptions } from "../../src/worker";
import { createWorkHandler, TEST_REGISTRY } from "../fixtures/test-jobs";
import { forkWorker, type ChildWorker } from "./index";

export interface WorkerFleetOptions {
  /** Key prefixes are `<prefix><n>`, one per freshQueue(). */
  prefix: string;
  /** The forked workers' LEASE_MS. */
  leaseMs: number;
  /** The forked workers' WORKER_CONCURRENCY (default 4). */
  concurrency?: number;
  /** Keys the test jobs leave behind (trackers), deleted after each test; a pattern when it ends in `*`. */
  cleanup?: readonly string[];
}

export interface WorkerFleet {
  readonly url: string;
  readonly redis: Redis;
  /** The current test's queue keys (set by freshQueue). */
  readonly keys: QueueKeys;
  readonly prefix: string;
  runner(): ScriptRunner;
  /** A key prefix no earlier test used, for the queue `queue` (default "work"). */
  freshQueue(queue?: string): QueueKeys;
  /** Forks `count` test workers on the current prefix, each ready when this resolves. */
  spawn(count: number, env?: Record<string, string>): Promise<ChildWorker[]>;
  /**
   * A worker in this process on the current prefix, serving `work` with the test handler, silent; `options`
   * override any of it. Not started: call `start()`. Stopped after the test unless the test stopped it.
   */
  inProcess(options?: Partial<WorkerOptions>): Worker;
}

export function useWorkerFleet(options: WorkerFleetOptions): WorkerFleet {
  let server: RedisServerHandle | undefined;
  let redis: Redis | undefined;
  let keys: QueueKeys | undefined;
  let prefix = "";
  let counter = 0;
  const children: ChildWorker[] = [];
  const inProcess: Worker[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url, { protocol: 2 });
  });
  afterEach(async () => {
    await Promise.all(inProcess.splice(0).map((worker) => worker.stop()));
    for (const child of children.splice(0)) {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill("SIGKILL");
      await child.exited();
    }
    for (const key of options.cleanup ?? []) {
      const found = key.endsWith("*") ? await redis!.keys(key) : [key];
      if (found.length) await redis!.del(...found);
    }
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  const fleet: WorkerFleet = {
    get url() {
      return server!.url;
    },
    get redis() {
      return redis!;
    },
    get keys() {
      if (!keys) throw new Error("call freshQueue() first");
      return keys;
    },
    get prefix() {
      return prefix;
    },
    runner: () => ioredisRunner(redis!),
    freshQueue(queue = "work") {
      prefix = `${options.prefix}${++counter}`;
      keys = queueKeys(queue, prefix);
      return keys;
    },
    async spawn(count, env = {}) {
      const spawned = await Promise.all(
        Array.from({ length: count }, () =>
          forkWorker({
            REDIS_URL: server!.url,
            REDIS_PREFIX: prefix,
            LEASE_MS: String(options.leaseMs),
            WORKER_CONCURRENCY: String(options.concurrency ?? 4),
            ...env,
          }),
        ),
      );
      children.push(...spawned);
      return spawned;
    },
    inProcess(overrides = {}) {
      const worker = createWorker({
        redisUrl: server!.url,
        prefix,
        registry: TEST_REGISTRY,
        handlers: { work: createWorkHandler(redis!) },
        queues: ["work"],
        concurrency: 2,
        leaseMs: options.leaseMs,
        shutdownGraceMs: 1_000,
        log: pino({ level: "silent" }),
        ...overrides,
      });
      // A test may stop it itself; the stop after the test is then the same stop, not a second one.
      const stop = worker.stop.bind(worker);
      let stopping: Promise<void> | undefined;
      worker.stop = () => (stopping ??= stop());
      inProcess.push(worker);
      return worker;
    },
  };
  return fleet;
}

/** The most of these times (ms) that fall in any window of `windowMs`: what a rate limit must keep ≤ its max. */
export function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  for (let i = 0; i < sorted.length; i++) {
    let inWindow = 0;
    for (let j = i; j < sorted.length && sorted[j]! < sorted[i]! + windowMs; j++) inWindow++;
    busiest = Math.max(busiest, inWindow);
  }
  return busiest;
}
