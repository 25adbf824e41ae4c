/**
 * Prometheus metrics of a worker process (prom-client), served on the health port at /metrics. They answer the
 * four questions an operator asks of a queue: how deep is it (gauges), how long do runs take (histogram), how
 * often do they fail (outcome counters), and is anybody working on it (workers gauge, lease recoveries).
 *
 * Everything per job is fed by the worker's observer (observer.ts) and only counted here: no Redis call, no
 * allocation beyond prom-client's label lookup. The per-queue depth gauges are the exception that must ask Redis:
 * ONE `stats` script call per queue per scrape, cached for `statsCacheMs` so several scrapers (Fly's Prometheus,
 * a curl, a dashboard) cost one call between them, and never anything per job. A scrape while Redis is down
 * leaves the gauges at their last values and counts a Redis error, rather than failing the whole scrape.
 *
 * Names (every one a test scrapes from a real worker, and infra/prometheus/alerts.yml uses only these):
 *   offload_queue_{waiting,delayed,active,dead,workers,paused}{queue}   gauges from the stats call
 *   offload_queue_due{queue}                                     delayed jobs whose run time has come (ZCOUNT
 *                                                                beside the stats call): what fly-autoscaler
 *                                                                adds to waiting (infra/autoscaler/fly.toml)
 *   offload_job_run_duration_seconds{queue}                      histogram of the settlements' runMs
 *   offload_jobs_total{queue,outcome}                            outcome: completed|retried|dead|stalled|handed_back|throttled
 *   offload_claim_duration_seconds{queue}                        claim round trip
 *   offload_settle_duration_seconds{queue,via}                   settlement round trip (via claim | settle)
 *   offload_lease_recoveries_total{queue,kind}                   entries handed back: reaped (expired worker) |
 *                                                                lost_reply (our own claim reply was lost)
 *   offload_redis_errors_total{op} / offload_redis_reconnects_total{connection}
 *   offload_jobs_running                                         jobs running in this process
 *   offload_worker_nodejs_eventloop_lag_seconds (+ the other prom-client defaults, same prefix)
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { QueueDepth } from "./worker";
import type { WorkerObserver } from "./observer";

/** What the metrics read from the worker at scrape time. */
export interface MetricsSource {
  /** One stats call per served queue. */
  readStats(): Promise<QueueDepth[]>;
  /** Jobs running in this process now. */
  activeCount(): number;
}

export interface WorkerMetrics {
  registry: Registry;
  /** Give this to createWorker's `observers`. */
  observer: WorkerObserver;
  /** Once the worker exists: where the scrape-time gauges come from. */
  attach(source: MetricsSource): void;
}

export const OUTCOME_OF_KIND = { completed: "completed", retry: "retried", dead: "dead", handBack: "handed_back", throttled: "throttled" } as const;
/** A scrape waits at most this long for the stats calls (Redis down: ioredis may hold them until it gives up). */
const STATS_TIMEOUT_MS = 2_000;
const RUN_BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60, 300];
const ROUND_TRIP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2];
/**
 * How often the event-loop lag monitor samples (ms). prom-client's default, 10 ms, wakes an idle worker 100
 * times a second: that was the idle production worker's 389-434 CPU ms a minute the bench could not explain
 * (it sends nothing to Redis in between); measured alone, 10 ms costs ~410 CPU ms a minute over a bare process,
 * 100 ms nothing measurable. A stall still shows in the lag metrics when it holds up a sample, and the stalls
 * worth an alert (tens of ms and more) do.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

export function createMetrics(options: { statsCacheMs?: number } = {}): WorkerMetrics {
  const statsCacheMs = options.statsCacheMs ?? 1_000;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "offload_worker_", eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const registers = [registry];
  let source: MetricsSource | undefined;

  const outcomes = new Counter({
    name: "offload_jobs_total",
    help: "Jobs by outcome: completed, retried (a failed attempt with attempts left), dead, stalled (reaped from an expired worker), handed_back, throttled (back-pressure: handed back and the queue, or the job's group, paused).",
    labelNames: ["queue", "outcome"],
    registers,
  });
  const runDuration = new Histogram({
    name: "offload_job_run_duration_seconds",
    help: "How long handlers ran, per settled attempt (hand backs excluded).",
    labelNames: ["queue"],
    buckets: RUN_BUCKETS,
    registers,
  });
  const claimDuration = new Histogram({
    name: "offload_claim_duration_seconds",
    help: "Round trip of claim calls.",
    labelNames: ["queue"],
    buckets: ROUND_TRIP_BUCKETS,
    registers,
  });
  const settleDuration = new Histogram({
    name: "offload_settle_duration_seconds",
    help: "Round trip of the call that landed a batch of settlements (inside a claim, or a settle of its own).",
    labelNames: ["queue", "via"],
    buckets: ROUND_TRIP_BUCKETS,
    registers,
  });
  const recoveries = new Counter({
    name: "offload_lease_recoveries_total",
    help: "Entries handed back by recovery: reaped from an expired worker's lease, or lost_reply (our claim's reply was lost).",
    labelNames: ["queue", "kind"],
    registers,
  });
  const redisErrors = new Counter({
    name: "offload_redis_errors_total",
    help: "Failed Redis calls by operation (the worker retries them).",
    labelNames: ["op"],
    registers,
  });
  const reconnects = new Counter({
    name: "offload_redis_reconnects_total",
    help: "Times a Redis connection was lost and dialled again.",
    labelNames: ["connection"],
    registers,
  });
  new Gauge({
    name: "offload_jobs_running",
    help: "Jobs running in this worker process.",
    registers,
    collect() {
      if (source) this.set(source.activeCount());
    },
  });

  // Depth gauges: one stats call per queue per scrape, shared by the six gauges and by scrapes within the cache.
  let cached: { at: number; stats: Promise<QueueDepth[] | undefined> } | undefined;
  const readStats = (): Promise<QueueDepth[] | undefined> => {
    if (!source) return Promise.resolve([]);
    const now = Date.now();
    if (!cached || now - cached.at > statsCacheMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("stats call timed out")), STATS_TIMEOUT_MS);
      });
      const stats = Promise.race([source.readStats(), timeout]).finally(() => clearTimeout(timer)).catch(() => {
        redisErrors.inc({ op: "stats" });
        cached = undefined;
        return undefined;
      });
      cached = { at: now, stats };
    }
    return cached.stats;
  };
  const gaugeHelp = {
    workers: "Live workers serving the queue (unexpired leases), as Redis counts them.",
    paused: "1 while the queue is paused (enqueues are accepted, no worker starts a job), else 0.",
    due: "Delayed jobs whose run time has come, not yet promoted to waiting (the next tick does): backlog with waiting.",
  } as Record<string, string>;
  for (const field of ["waiting", "delayed", "active", "dead", "workers", "paused", "due"] as const) {
    new Gauge({
      name: `offload_queue_${field}`,
      help:
        gaugeHelp[field] ?? `Jobs ${field} in the queue, as Redis counts them (every worker reports the same value: aggregate with max).`,
      labelNames: ["queue"],
      registers,
      // Every process reads the same Redis value: WORKER_PROCESSES' supervisor (AggregatorRegistry) takes the max, not the sum.
      aggregator: "max",
      async collect() {
        const stats = await readStats();
        // Redis unreachable: keep the last values rather than report an empty queue.
        for (const queue of stats ?? []) this.set({ queue: queue.name }, Number(queue[field]));
      },
    });
  }

  const observer: WorkerObserver = {
    claimed({ queue, ms }) {
      claimDuration.observe({ queue }, ms / 1_000);
    },
    settled({ queue, settlements, applied, ms, via }) {
      settleDuration.observe({ queue, via }, ms / 1_000);
      settlements.forEach((settlement, i) => {
        if (!applied[i]) return;
        outcomes.inc({ queue, outcome: OUTCOME_OF_KIND[settlement.kind] });
        if (settlement.runMs !== undefined) runDuration.observe({ queue }, settlement.runMs / 1_000);
      });
    },
    stalled({ queue, reaped, dead }) {
      outcomes.inc({ queue, outcome: "stalled" }, reaped + dead);
      if (dead > 0) outcomes.inc({ queue, outcome: "dead" }, dead);
      recoveries.inc({ queue, kind: "reaped" }, reaped);
    },
    recovered({ queue, count }) {
      if (count > 0) recoveries.inc({ queue, kind: "lost_reply" }, count);
    },
    redisError({ op }) {
      redisErrors.inc({ op });
    },
    reconnecting({ connection }) {
      reconnects.inc({ connection });
    },
  };

  return {
    registry,
    observer,
    attach(next) {
      source = next;
    },
  };
}
