/**
 * The two sizes of the chaos run. `full` is `npm run chaos` (about 4 minutes on 2 cores); `short` is what
 * `npm test` runs (chaos.test.ts, under a minute) and `npm run chaos -- --short`.
 */
import type { BadInputParams } from "./scenarios/bad-input";
import type { CrashParams } from "./scenarios/crashes";
import type { NetworkParams } from "./scenarios/network";
import type { PoisonParams } from "./scenarios/poison";
import type { RedisDownParams } from "./scenarios/redis-down";

export interface ChaosConfig {
  crashes: CrashParams;
  /** Absent: the scenario is skipped (the short run leaves network faults to findings.test.ts). */
  network?: NetworkParams;
  badInput: BadInputParams;
  poison: PoisonParams;
  redisDown: RedisDownParams;
}

export const FULL: ChaosConfig = {
  crashes: {
    jobs: 10_000,
    workers: 4,
    concurrency: 8,
    leaseMs: 3_000,
    jobMs: [5, 25],
    killEveryMs: [1_000, 2_000],
    minKills: 30,
    maxChaosMs: 400_000,
    redisKillAt: 0.5,
    load: { concurrency: 16, ratePerSec: 100, batchShare: 0.5, maxBatch: 50 },
    drainTimeoutMs: 180_000,
  },
  network: {
    jobs: 3_000,
    finalJobs: 300,
    workers: 3,
    leaseMs: 2_000,
    faultEveryMs: [1_000, 2_000],
    minFaults: 10,
    shortStallMs: [300, 1_500],
    load: { concurrency: 8, ratePerSec: 60, batchShare: 0.5, maxBatch: 30 },
    drainTimeoutMs: 120_000,
  },
  badInput: { runs: 3_000 },
  poison: { workers: 3, rounds: 5, goodPerRound: 200, drainTimeoutMs: 60_000 },
  redisDown: { requestsPerKind: 10 },
};

export const SHORT: ChaosConfig = {
  crashes: {
    jobs: 500,
    workers: 2,
    concurrency: 8,
    leaseMs: 2_000,
    jobMs: [5, 20],
    killEveryMs: [1_000, 2_000],
    minKills: 2,
    maxChaosMs: 60_000,
    redisKillAt: 0.4,
    load: { concurrency: 8, ratePerSec: 200, batchShare: 0.5, maxBatch: 20 },
    drainTimeoutMs: 30_000,
  },
  badInput: { runs: 200 },
  poison: { workers: 2, rounds: 1, goodPerRound: 100, drainTimeoutMs: 30_000 },
  redisDown: { requestsPerKind: 2 },
};
