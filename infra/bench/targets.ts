/**
 * Issue 9's targets (the second performance round), each checked against the median of the pairwise ratios
 * (a run's Offload figure over the same run's BullMQ or bee-queue figure) or against the median, for absolutes.
 * Where the issue derives a number rather than setting one (worker CPU ≈ 25 µs/job for 3× at concurrency 100)
 * the text says so.
 */
import type { Figure, Series } from "./results";
import { pairwiseRatios, summarize } from "./stats";

export interface Target {
  figure: string;
  text: string;
  check(figure: Figure): { met: boolean; value: string };
}

const OTHER: Record<"bullmq" | "beequeue", string> = { bullmq: "BullMQ", beequeue: "bee-queue" };

const ratioTarget = (figureId: string, other: "bullmq" | "beequeue", op: "≥" | "≤", bound: number, what: string): Target => ({
  figure: figureId,
  text: `${what}: Offload/${OTHER[other]} ${op} ${bound}×`,
  check(f) {
    const r = pairwiseRatios(f.samples.offload ?? [], f.samples[other] ?? []);
    const met = op === "≥" ? r.median >= bound : r.median <= bound;
    return { met, value: `${r.median.toFixed(2)}× (runs ${r.min.toFixed(2)}–${r.max.toFixed(2)})` };
  },
});

const absoluteTarget = (figureId: string, op: "≤" | "=", bound: number, unit: string, what: string, series: Series = "offload"): Target => ({
  figure: figureId,
  text: `${what} ${op} ${bound}${unit ? ` ${unit}` : ""}`,
  check(f) {
    const s = summarize(f.samples[series] ?? []);
    // "=" is for counts that must hold in every run (one call per enqueue), so it is checked on the maximum.
    const met = op === "=" ? s.max <= bound : s.median <= bound;
    return { met, value: `${s.median.toFixed(2)} (runs ${s.min.toFixed(2)}–${s.max.toFixed(2)})` };
  },
});

export const TARGETS: Target[] = [
  ratioTarget("throughput.c100", "bullmq", "≥", 3, "throughput, concurrency 100"),
  ratioTarget("throughput.c10", "bullmq", "≥", 2.5, "throughput, concurrency 10"),
  ratioTarget("throughput.c1", "bullmq", "≥", 3, "throughput, concurrency 1 (hold it)"),
  absoluteTarget("cpu.worker.c100", "≤", 25, "µs/job", "worker CPU per job at concurrency 100 (issue 9's estimate of what 3× needs)"),
  ratioTarget("memory.waiting", "bullmq", "≤", 0.7, "Redis memory per waiting job"),
  ratioTarget("latency.p50", "beequeue", "≤", 1, "pickup latency p50"),
  ratioTarget("latency.p99", "bullmq", "≤", 0.5, "pickup latency p99"),
  // On the production worker with every queue it serves by default (shipped-worker.ts SHIPPED_QUEUES), over one
  // window that holds the whole idle schedule (scenarios/idle.ts).
  absoluteTarget("idle.shipped.client", "≤", 3, "commands/min", "idle production worker, shipped job types: client commands per process"),
  absoluteTarget("idle.shipped.perQueue", "≤", 1, "commands/min", "idle production worker, shipped job types: client commands per queue"),
  ratioTarget("enqueue.single", "beequeue", "≥", 1, "enqueue, awaited one by one"),
  ratioTarget("enqueue.batch", "beequeue", "≥", 1, "enqueue, batches of 1,000"),
  absoluteTarget("calls.enqueue", "=", 1, "", "Redis calls per enqueue (single), every run"),
  absoluteTarget("calls.batch", "=", 1, "", "Redis calls per enqueue (batch), every run"),
  absoluteTarget("edge1.p99", "≤", 50, "ms", `through the edge, one client: 202 latency p99 ("a 202 in well under 50 ms")`),
];
