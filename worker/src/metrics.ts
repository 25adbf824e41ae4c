/** Prometheus metrics of a worker process (prom-client), served on the health port at /metrics. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface WorkerMetrics {
  registry: Registry;
  observe(queue: string, outcome: string, seconds: number): void;
  setActive(count: number): void;
}

export function createMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "offload_worker_" });
  const runs = new Counter({
    name: "offload_job_runs_total",
    help: "Finished job runs by queue and settlement (completed, retry, dead, return).",
    labelNames: ["queue", "outcome"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "offload_job_duration_seconds",
    help: "Wall time of job runs.",
    labelNames: ["queue"],
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 15, 60],
    registers: [registry],
  });
  const active = new Gauge({ name: "offload_jobs_active", help: "Jobs running in this process.", registers: [registry] });
  return {
    registry,
    observe(queue, outcome, seconds) {
      runs.inc({ queue, outcome });
      duration.observe({ queue }, seconds);
    },
    setActive: (count) => active.set(count),
  };
}
