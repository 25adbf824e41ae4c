/** Reads and small writes used by the edge and the dashboard: status, cancel, queue stats, progress. */
import { jobId } from "../ids";
import type { QueueKeys } from "../keys";
import { pairsToObject, recordToStatus, StoredErrorSchema, type JobState, type JobStatus, type StoredError } from "../record";
import { scriptCall, type ScriptCall, type ScriptRunner } from "../script-runner";
import { JOB_DEFAULTS } from "../job-definition";

export function statusCall(keys: QueueKeys, localId: string): ScriptCall {
  return scriptCall("status", { job: keys.job(localId), fresh: keys.fresh }, [localId]);
}

/**
 * undefined when the job is unknown or its record has expired. `listPriority`: the job definition's default
 * priority, which a record without a `P` field has (priority.ts).
 */
export function parseStatusReply(keys: QueueKeys, localId: string, reply: unknown, listPriority?: number): JobStatus | undefined {
  const flat = reply as unknown[];
  return flat.length === 0 ? undefined : recordToStatus(jobId(keys.queue, localId), pairsToObject(flat), listPriority);
}

export async function getStatus(runner: ScriptRunner, keys: QueueKeys, localId: string, listPriority?: number) {
  return parseStatusReply(keys, localId, await runner.run(statusCall(keys, localId)), listPriority);
}

/**
 * A job's record fields (FIELD letters) wherever the record is — its own hash, or packed while the job is fresh
 * (PROTOCOL.md "Fresh jobs"); {} when unknown. For audits and tests: readers of the status use getStatus.
 */
export async function readRecord(runner: ScriptRunner, keys: QueueKeys, localId: string): Promise<Record<string, string>> {
  return pairsToObject((await runner.run(statusCall(keys, localId))) as unknown[]);
}

/** readRecord for many jobs (of any queues) in one round trip. */
export async function readRecords(runner: ScriptRunner, jobs: readonly { keys: QueueKeys; localId: string }[]): Promise<Record<string, string>[]> {
  const replies = await runner.runMany(jobs.map(({ keys, localId }) => statusCall(keys, localId)));
  return replies.map((reply) => pairsToObject(reply as unknown[]));
}

export type CancelOutcome =
  | { outcome: "cancelled"; previousState: JobState }
  | { outcome: "conflict"; state: JobState }
  | { outcome: "missing" };

/** A cancelled record is kept as long as a completed one. */
export const CANCELLED_RETENTION_MS = JOB_DEFAULTS.retention.completedMs;

export function cancelCall(keys: QueueKeys, localId: string, now: number = Date.now()): ScriptCall {
  return scriptCall("cancel", { job: keys.job(localId), wait: keys.wait, delayed: keys.delayed, paused: keys.paused, cancelled: keys.cancelled, prio: keys.prio, fresh: keys.fresh }, [
    localId,
    now,
    CANCELLED_RETENTION_MS,
  ]);
}

export async function cancelJob(
  runner: ScriptRunner,
  keys: QueueKeys,
  localId: string,
  now: number = Date.now(),
): Promise<CancelOutcome> {
  const reply = (await runner.run(cancelCall(keys, localId, now))) as [string, string];
  const [outcome, state] = reply.map(String) as [string, JobState];
  if (outcome === "cancelled") return { outcome, previousState: state };
  if (outcome === "conflict") return { outcome, state };
  return { outcome: "missing" };
}

export interface QueueStats {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  dead: number;
  workers: number;
  completed: number;
  failed: number;
  stalled: number;
  /** true while the queue is paused (its waiting jobs sit in the paused list and no worker starts one). */
  paused: boolean;
}

export function statsCall(keys: QueueKeys): ScriptCall {
  return scriptCall(
    "stats",
    {
      wait: keys.wait,
      paused: keys.paused,
      meta: keys.meta,
      delayed: keys.delayed,
      dead: keys.dead,
      stats: keys.stats,
      workers: keys.workers,
      prio: keys.prio,
    },
    [keys.activePrefix],
  );
}

export function parseStatsReply(keys: QueueKeys, reply: unknown): QueueStats {
  const [waiting, delayed, active, dead, workers, counters, paused] = reply as [number, number, number, number, number, unknown[], number];
  const c = pairsToObject(counters ?? []);
  return {
    name: keys.queue,
    waiting: Number(waiting),
    active: Number(active),
    delayed: Number(delayed),
    dead: Number(dead),
    workers: Number(workers),
    completed: Number(c.completed ?? 0),
    failed: Number(c.failed ?? 0),
    stalled: Number(c.stalled ?? 0),
    paused: Number(paused) === 1,
  };
}

export function progressCall(keys: QueueKeys, workerId: string, localId: string, progress: number): ScriptCall {
  return scriptCall("progress", { job: keys.job(localId), active: keys.active(workerId) }, [localId, progress]);
}

export interface DeadJob {
  id: string;
  /** ISO time the job was dead-lettered. */
  diedAt: string;
  /** Its last error; null once the record has expired (the dead list outlives records). */
  error: StoredError | null;
}

export interface DeadPage {
  name: string;
  total: number;
  jobs: DeadJob[];
}

export function deadListCall(keys: QueueKeys, offset: number, count: number): ScriptCall {
  return scriptCall("dead_list", { dead: keys.dead }, [keys.jobPrefix, offset, count]);
}

export function parseDeadListReply(keys: QueueKeys, reply: unknown): DeadPage {
  const [total, ...flat] = reply as unknown[];
  const jobs: DeadJob[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    const error = StoredErrorSchema.safeParse(parseJsonOrNull(String(flat[i + 2])));
    jobs.push({
      id: jobId(keys.queue, String(flat[i])),
      diedAt: new Date(Number(flat[i + 1])).toISOString(),
      error: error.success ? error.data : null,
    });
  }
  return { name: keys.queue, total: Number(total ?? 0), jobs };
}

/**
 * @example
 * const page = await listDead(runner, queueKeys("webhook"), { offset: 0, count: 50 });
 */
export async function listDead(
  runner: ScriptRunner,
  keys: QueueKeys,
  page: { offset: number; count: number },
): Promise<DeadPage> {
  return parseDeadListReply(keys, await runner.run(deadListCall(keys, page.offset, page.count)));
}

function parseJsonOrNull(text: string): unknown {
  try {
    return text === "" ? null : JSON.parse(text);
  } catch {
    return null;
  }
}
