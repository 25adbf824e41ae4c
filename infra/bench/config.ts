/**
 * How big each scenario is. The full run is what RESULTS.md reports (≥5 interleaved runs per figure, sized to
 * finish in about half an hour on 2 cores); `--quick` is a smoke check that finishes in under a minute.
 */
export interface BenchConfig {
  mode: "full" | "quick";
  /** Runs per scenario; systems are interleaved within each run (A B C A B C …). */
  runs: number;
  /** Scenario 1 (and 3, measured on the same pre-enqueued jobs). */
  throughputJobs: number;
  concurrencies: number[];
  /** Scenarios 1 and 3 again with bigger payloads (issue 9): JSON size in bytes and how many jobs, at one concurrency. */
  payloadSizes: { bytes: number; jobs: number }[];
  payloadConcurrency: number;
  /** Scenario 2. */
  enqueueSingleJobs: number;
  enqueueBatchJobs: number;
  batchSize: number;
  /** Scenario 4. */
  latencyJobs: number;
  latencyWarmupJobs: number;
  latencyGapMs: number;
  /**
   * Scenarios 5 and 6: after a worker reports ready, how long to let it finish its start-up commands before
   * counting (there is no "now idle" event to wait for).
   */
  settleMs: number;
  /**
   * Scenario 5: one window long enough to hold the whole idle schedule (Offload: 120 s heartbeats, 300 s BLMOVE;
   * 600 s holds 5 of one and 2 of the other), run in the background while the other scenarios run; quick mode
   * shortens it and the report says so. `--idle-window-s=N` overrides it.
   */
  idleWindowMs: number;
  /**
   * Scenario 5: how long after a worker reports ready its idle window opens. Longer than settleMs in the full run
   * so that the start-up commands, and the periodic ones that fall at whole multiples of 120 s and 300 s after the
   * start, lie well inside or well outside the window, never on its edge.
   */
  idleSettleMs: number;
  /** Scenario 6. */
  lifecycleJobs: number;
  /** Scenario 8 (WORKER_PROCESSES 1 vs 2): no-op jobs drained by the production worker per run. */
  processesJobs: number;
  /** Scenario 7. */
  edgeDurationS: number;
  edgeConnections: number;
  edgeRuns: number;
}

export const FULL: BenchConfig = {
  mode: "full",
  runs: 5,
  throughputJobs: 50_000,
  concurrencies: [1, 10, 100],
  // 20,000 × 2 KB and 5,000 × 20 KB: ≈ 40 and 100 MB of payload in Redis per drain, seconds each.
  payloadSizes: [
    { bytes: 2_048, jobs: 20_000 },
    { bytes: 20_480, jobs: 5_000 },
  ],
  payloadConcurrency: 10,
  enqueueSingleJobs: 5_000,
  enqueueBatchJobs: 50_000,
  batchSize: 1_000,
  latencyJobs: 1_000,
  latencyWarmupJobs: 20,
  latencyGapMs: 10,
  settleMs: 1_000,
  idleWindowMs: 600_000,
  idleSettleMs: 30_000,
  lifecycleJobs: 1_000,
  processesJobs: 200_000,
  edgeDurationS: 20,
  edgeConnections: 50,
  edgeRuns: 5,
};

export const QUICK: BenchConfig = {
  mode: "quick",
  runs: 1,
  throughputJobs: 500,
  concurrencies: [1, 100],
  payloadSizes: [
    { bytes: 2_048, jobs: 300 },
    { bytes: 20_480, jobs: 100 },
  ],
  payloadConcurrency: 10,
  enqueueSingleJobs: 300,
  enqueueBatchJobs: 3_000,
  batchSize: 1_000,
  latencyJobs: 50,
  latencyWarmupJobs: 5,
  latencyGapMs: 5,
  settleMs: 300,
  idleWindowMs: 3_000,
  idleSettleMs: 300,
  lifecycleJobs: 100,
  processesJobs: 20_000,
  edgeDurationS: 2,
  edgeConnections: 50,
  edgeRuns: 1,
};
