/** The targets, each checked against the median of the pairwise ratios (or the median, for absolutes). */
import type { Figure } from "./results";
import { pairwiseRatios, summarize } from "./stats";

export interface Target {
  figure: string;
  text: string;
  check(figure: Figure): { met: boolean; value: string };
}

const ratioTarget = (figureId: string, op: "≥" | "≤", bound: number, what: string): Target => ({
  figure: figureId,
  text: `${what}: Offload/BullMQ ${op} ${bound}×`,
  check(f) {
    const r = pairwiseRatios(f.samples.offload ?? [], f.samples.bullmq ?? []);
    const met = op === "≥" ? r.median >= bound : r.median <= bound;
    return { met, value: `${r.median.toFixed(2)}× (runs ${r.min.toFixed(2)}–${r.max.toFixed(2)})` };
  },
});

export const TARGETS: Target[] = [
  ratioTarget("throughput.c100", "≥", 3, "throughput, concurrency 100"),
  ratioTarget("throughput.c1", "≥", 1.5, "throughput, concurrency 1"),
  ratioTarget("memory.waiting", "≤", 0.75, "Redis memory per waiting job"),
  ratioTarget("latency.p99", "≤", 0.5, "pickup latency p99"),
  {
    figure: "idle.client",
    text: "idle Redis commands per minute: Offload/BullMQ ≤ 0.25× and ≤ 6/min",
    check(f) {
      const r = pairwiseRatios(f.samples.offload ?? [], f.samples.bullmq ?? []);
      const abs = summarize(f.samples.offload ?? []);
      return { met: r.median <= 0.25 && abs.median <= 6, value: `${abs.median.toFixed(1)}/min, ${r.median.toFixed(2)}× BullMQ` };
    },
  },
  ...(["calls.enqueue", "calls.batch"] as const).map(
    (id): Target => ({
      figure: id,
      text: `Redis calls per enqueue (${id === "calls.enqueue" ? "single" : "batch"}) = 1`,
      check(f) {
        const s = summarize(f.samples.offload ?? []);
        return { met: s.max <= 1, value: `${s.median.toFixed(2)} (max ${s.max.toFixed(2)})` };
      },
    }),
  ),
];
