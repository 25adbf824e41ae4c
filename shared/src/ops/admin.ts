/**
 * Operator reads and moves (admin API, dashboard, CLI): queue detail with per-minute history, job listing by
 * state with cursors, job detail, pause/resume, dead-letter replay and purge, retry and promote of one job.
 *
 * THIS FILE IS THE AGREED INTERFACE: the edge routes, the dashboard and the CLI import from here. The types and
 * limits live in admin/types.ts, each operation in its own file under admin/ with its script in
 * shared/scripts/ (one per operation). Change a signature only together with every caller.
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
export * from "./admin/types";
export { pauseCall, resumeCall, setPaused } from "./admin/pause";
export { getQueueDetail, queueDetailCall, p95FromBins } from "./admin/queue-detail";
export { LIST_LIMIT_MAX, LIST_PAGE_BYTES, listJobs, listJobsCall, parseListJobsReply } from "./admin/list-jobs";
export { getJobDetail, recordToJobDetail } from "./admin/job-detail";
export { replayDead, replayDeadCall } from "./admin/replay";
export { purgeDead, purgeDeadCall } from "./admin/purge";
export { effectiveLimits, parseStoredFlow, setLimits, setLimitsCall, type LimitsChange, type QueueLimits, type StoredFlow } from "./admin/limits";
export { parseMoveReply, promoteJob, promoteJobCall, retryJob, retryJobCall } from "./admin/move";
