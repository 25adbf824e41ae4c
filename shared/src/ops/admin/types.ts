/**
 * The types and limits of the operator operations (admin API, dashboard, CLI), re-exported by `../admin.ts`,
 * which is the agreed interface. Kept apart from the implementations so every operation file can import them
 * without an import cycle through admin.ts.
 */
import type { JobState, JobStatus, StoredError } from "../../record";
import type { StoredFlow } from "./limits";

/** How many finished ids a queue keeps listable per finished state; records themselves live by retention. */
export const COMPLETED_INDEX_MAX = 10_000;
/** Upper bounds (ms) of the run-time histogram bins kept per minute; the last bin is open-ended. */
export const HISTORY_BINS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000] as const;
/** Per-minute buckets kept (24 h). */
export const HISTORY_MINUTES = 1_440;
/** Ids one bulk script call handles at most, so no script holds Redis for more than a few ms. */
export const BULK_CHUNK = 500;

export interface QueueWorkerInfo {
  id: string;
  /** ISO time the worker's lease expires unless refreshed. */
  leaseExpiresAt: string;
  /** Entries in its in-flight list. */
  inFlight: number;
}

/** One minute of a queue's history. Minutes with no activity are returned with zeros. */
export interface HistoryBucket {
  /** ISO start of the minute. */
  minute: string;
  completed: number;
  /** Failed attempts (retried or dead). */
  failed: number;
  dead: number;
  /** Waiting depth last seen in that minute; null when nothing observed it. */
  waiting: number | null;
  /** Mean run time (ms) of the attempts settled in that minute; null when none. */
  runMsMean: number | null;
  /** 95th percentile run time (ms), as the upper bound of its histogram bin; null when none. */
  runMsP95: number | null;
}

export type StateCounts = Record<JobState, number>;

export interface QueueDetail {
  name: string;
  paused: boolean;
  counts: StateCounts;
  /** All-time counters from {q}:stats. */
  totals: { completed: number; failed: number; dead: number; stalled: number };
  workers: QueueWorkerInfo[];
  /** Oldest first; `minutes` entries ending with the current minute. */
  history: HistoryBucket[];
  /** The flow-control override and back-pressure pause as stored (effectiveLimits adds the definition's). */
  flow: StoredFlow;
}

/** A job as operators see it: the public status plus payload, options and the errors of recent attempts. */
export interface JobDetail extends JobStatus {
  data: unknown;
  /** Per-job option overrides as stored (maxAttempts, backoff, timeout …). */
  options: Record<string, unknown>;
  /** Errors of the last few failed attempts, oldest first (the last one is also `error`). */
  errors: (StoredError & { attempt?: number; at?: string })[];
}

export interface JobPage {
  jobs: JobDetail[];
  /** Opaque; pass back as `cursor` for the next page. null when this was the last page. */
  nextCursor: string | null;
}

export interface ReplayResult {
  replayed: number;
  /** Ids that were not replayed, with why: "not_found", "not_dead" (e.g. already replayed) … */
  skipped: { id: string; reason: string }[];
}

export type MoveOutcome =
  | { outcome: "moved"; state: JobState }
  | { outcome: "conflict"; state: JobState }
  | { outcome: "missing" };
