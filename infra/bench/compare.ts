/**
 * Compares two sets of benchmark runs (e.g. the code before and after a change, run alternately on the same
 * machine): for every figure, the median and min–max of each set over all its runs, and the median of the
 * per-run Offload/bee-queue and Offload/BullMQ ratios (each ratio taken within one run, so the machine's load at
 * that minute cancels out as far as it can).
 *
 *   npx tsx infra/bench/compare.ts /tmp/cmp/base-* vs /tmp/cmp/new-*
 *
 * Each argument is an output directory of `run.ts` (it reads results.json there).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchReport } from "./report";
import type { Figure, Series } from "./results";
import { pairwiseRatios, summarize, type Summary } from "./stats";

function load(dirs: string[]): Map<string, Figure> {
  const merged = new Map<string, Figure>();
  for (const dir of dirs) {
    const report = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as BenchReport;
    for (const result of Object.values(report.results)) {
      for (const f of result.figures) {
        const into = merged.get(f.id) ?? { ...f, samples: {} };
        for (const [series, values] of Object.entries(f.samples) as [Series, number[]][]) {
          // Runs stay index-aligned across series because every run records every series of a figure.
          (into.samples[series] ??= []).push(...values);
        }
        merged.set(f.id, into);
      }
    }
  }
  return merged;
}

const num = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en") : v.toFixed(Math.abs(v) >= 10 ? 1 : 2));
const cell = (s: Summary) => (s.runs === 0 ? "—" : `${num(s.median)} (${num(s.min)}–${num(s.max)}, n=${s.runs})`);
const ratio = (s: Summary) => (s.runs === 0 ? "—" : `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})`);

function main(): void {
  const args = process.argv.slice(2);
  const split = args.indexOf("vs");
  if (split <= 0 || split === args.length - 1) throw new Error("usage: compare.ts <dir>… vs <dir>…");
  const a = load(args.slice(0, split));
  const b = load(args.slice(split + 1));
  console.log("| figure | series | A | B | A: Offload/bee-queue | B: Offload/bee-queue | A: Offload/BullMQ | B: Offload/BullMQ |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const [id, fa] of a) {
    const fb = b.get(id);
    if (!fb) continue;
    for (const series of Object.keys(fa.samples) as Series[]) {
      const offloadRow = series === "offload" || series === "offload-rest";
      const r = (f: Figure, other: Series) => (offloadRow ? ratio(pairwiseRatios(f.samples[series] ?? [], f.samples[other] ?? [])) : "");
      console.log(
        `| ${id} (${fa.unit}) | ${series} | ${cell(summarize(fa.samples[series] ?? []))} | ${cell(summarize(fb.samples[series] ?? []))} | ` +
          `${r(fa, "beequeue")} | ${r(fb, "beequeue")} | ${r(fa, "bullmq")} | ${r(fb, "bullmq")} |`,
      );
    }
  }
}

main();
