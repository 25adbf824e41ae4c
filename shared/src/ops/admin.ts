/**
 * Operator reads and moves (admin API, dashboard, CLI): queue detail with per-minute history, job listing by
 * state with cursors, job detail, pause/resume, dead-letter replay and purge, retry and promote of one job.
 *
 * THIS FILE IS THE AGREED INTERFACE. The bodies are filled in by the protocol work (scripts in
 * shared/scripts/, one per operation); the signatures and types below are what the edge routes, the dashboard
 * and the CLI are written against. Change a signature only together with every caller.
 *
 * Storage facts the implementations rely on (see shared/PROTOCOL.md once written up):
 *   {q}:meta              HASH  queue settings kept in Redis: `paused` ("1" while paused); later: limits
 *   {q}:paused            LIST  waiting ids while the queue is paused (wait is RENAMEd here on pause and back
 *                               on resume, so blocked BLMOVEs on wait simply keep blocking: no polling)
 *   {q}:completed         ZSET  local id -> finishedAt, the newest COMPLETED_INDEX_MAX completions (listing)
 *   {q}:cancelled         ZSET  local id -> cancelledAt, trimmed like completed (listing)
 *   {q}:history:<minute>  HASH  per-minute counters, minute = floor(ms / 60000), PEXPIRE 24 h (≤ 1,440 live):
 *                               completed, failed, dead, waiting (last depth seen by a tick or claim),
 *                               runSum (ms), runCount, rb<i> run-time histogram bins (see HISTORY_BINS_MS)
 */
import type { QueueKeys } from "../keys";
import type { JobState, JobStatus, StoredError } from "../record";
import type { ScriptRunner } from "../script-runner";

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
}

/**
 * @example
 * const detail = await getQueueDetail(runner, queueKeys("webhook"), { minutes: 60 });
 */
export async function getQueueDetail(
  runner: ScriptRunner,
  keys: QueueKeys,
  options: { minutes?: number; now?: number } = {},
): Promise<QueueDetail> {
  void runner; void keys; void options;
  throw new Error("getQueueDetail: not implemented yet");
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

/**
 * Finished states newest first; waiting and delayed in run order; active by worker. Cost O(page).
 * Rejects with OffloadError("validation_failed") for a cursor it did not issue.
 * @example
 * const { jobs, nextCursor } = await listJobs(runner, keys, { state: "dead", limit: 50 });
 */
export async function listJobs(
  runner: ScriptRunner,
  keys: QueueKeys,
  query: { state: JobState; limit: number; cursor?: string },
): Promise<JobPage> {
  void runner; void keys; void query;
  throw new Error("listJobs: not implemented yet");
}

/** undefined when unknown or expired. */
export async function getJobDetail(runner: ScriptRunner, keys: QueueKeys, localId: string): Promise<JobDetail | undefined> {
  void runner; void keys; void localId;
  throw new Error("getJobDetail: not implemented yet");
}

/**
 * Pause keeps accepting enqueues but no worker starts a job; resume wakes blocked workers at once.
 * @example
 * await setPaused(runner, keys, true); // { name: "webhook", paused: true }
 */
export async function setPaused(
  runner: ScriptRunner,
  keys: QueueKeys,
  paused: boolean,
): Promise<{ name: string; paused: boolean }> {
  void runner; void keys; void paused;
  throw new Error("setPaused: not implemented yet");
}

export interface ReplayResult {
  replayed: number;
  /** Ids that were not replayed, with why: "not_found", "not_dead" (e.g. already replayed) … */
  skipped: { id: string; reason: string }[];
}

/**
 * Dead → waiting with the same id, attempts reset, earlier errors kept. Runs in chunks of BULK_CHUNK.
 * Ids are public job ids (`<queue>.<local>`).
 */
export async function replayDead(
  runner: ScriptRunner,
  keys: QueueKeys,
  what: { ids: string[] } | { all: true },
  now?: number,
): Promise<ReplayResult> {
  void runner; void keys; void what; void now;
  throw new Error("replayDead: not implemented yet");
}

/** Deletes dead letters (records and index entries) that died before `before` (ms), all when absent. Chunked. */
export async function purgeDead(
  runner: ScriptRunner,
  keys: QueueKeys,
  options: { before?: number } = {},
): Promise<{ purged: number }> {
  void runner; void keys; void options;
  throw new Error("purgeDead: not implemented yet");
}

export type MoveOutcome =
  | { outcome: "moved"; state: JobState }
  | { outcome: "conflict"; state: JobState }
  | { outcome: "missing" };

/** dead or cancelled → waiting (attempts reset). */
export async function retryJob(runner: ScriptRunner, keys: QueueKeys, localId: string, now?: number): Promise<MoveOutcome> {
  void runner; void keys; void localId; void now;
  throw new Error("retryJob: not implemented yet");
}

/** delayed → waiting now. */
export async function promoteJob(runner: ScriptRunner, keys: QueueKeys, localId: string, now?: number): Promise<MoveOutcome> {
  void runner; void keys; void localId; void now;
  throw new Error("promoteJob: not implemented yet");
}
