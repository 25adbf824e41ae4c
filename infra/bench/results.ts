/**
 * The shape of what the benchmark measures. A figure holds one sample per run per series, index-aligned by
 * run, so that ratios can be taken pair by pair within a run.
 */
export type Series = "offload" | "offload-rest" | "bullmq" | "beequeue";

export interface Figure {
  id: string;
  scenario: string;
  label: string;
  unit: string;
  better: "higher" | "lower";
  samples: Partial<Record<Series, number[]>>;
  /** Systems an Offload ratio means something against (default both); the report leaves the others blank. */
  ratioAgainst?: ("bullmq" | "beequeue")[];
}

export interface ScenarioResult {
  figures: Figure[];
  /** Anything worth keeping in results.json beside the figures (breakdowns, per-run raw data). */
  details?: Record<string, unknown>;
  /** Lines for the notes section of RESULTS.md. */
  notes?: string[];
}

export function figure(id: string, scenario: string, label: string, unit: string, better: Figure["better"]): Figure {
  return { id, scenario, label, unit, better, samples: {} };
}

export function addSample(f: Figure, series: Series, value: number): void {
  (f.samples[series] ??= []).push(value);
}
