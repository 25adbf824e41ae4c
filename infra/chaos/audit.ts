/**
 * Reads back what happened to jobs, straight from Redis: each acknowledged job's final state, what was in flight
 * when a fault hit, and when a queue has drained.
 */
import type { Redis } from "ioredis";
import { isLocalId, jobId, parseJobId } from "../../shared/src/ids";
import { queueKeys, type QueueKeys } from "../../shared/src/keys";
import { FIELD } from "../../shared/src/record";
import { readRecords } from "../../shared/src/ops/read";
import { ioredisRunner } from "../../shared/src/runners/ioredis-runner";
import { waitFor } from "../test/wait-for";

export interface Fates {
  completed: number;
  dead: number;
  deadReasons: Record<string, number>;
  /** Acknowledged, but no record at all. */
  lost: string[];
  /** Acknowledged, with a record that is not completed or dead (after the drain: stuck). */
  unfinished: { id: string; state: string }[];
  /** Dead without a reason in the stored error. */
  deadWithoutReason: string[];
  completedIds: string[];
}

/**
 * The record of each job id wherever it is — its hash, or packed while the job is fresh (PROTOCOL.md "Fresh
 * jobs") — through the status script, 1,000 a round trip; {} for a job with no record.
 */
export async function recordsOf(redis: Redis, ids: readonly string[], prefix?: string): Promise<Record<string, string>[]> {
  const runner = ioredisRunner(redis);
  const records: Record<string, string>[] = [];
  for (let i = 0; i < ids.length; i += 1_000) {
    const jobs = ids.slice(i, i + 1_000).map((id) => {
      const parsed = parseJobId(id);
      if (!parsed) throw new Error(`not a job id: ${id}`);
      return { keys: queueKeys(parsed.queue, prefix), localId: parsed.localId };
    });
    records.push(...(await readRecords(runner, jobs)));
  }
  return records;
}

/** Final state of each job id (`noop.<local>`), read 1,000 a round trip. */
export async function auditJobs(redis: Redis, ids: readonly string[], prefix?: string): Promise<Fates> {
  const fates: Fates = { completed: 0, dead: 0, deadReasons: {}, lost: [], unfinished: [], deadWithoutReason: [], completedIds: [] };
  (await recordsOf(redis, ids, prefix)).forEach((record, index) => {
    const id = ids[index]!;
    const state = record[FIELD.state] ?? null;
    const storedError = record[FIELD.error] ?? null;
    if (state === null) fates.lost.push(id);
    else if (state === "completed") {
      fates.completed += 1;
      fates.completedIds.push(id);
    } else if (state === "dead") {
      fates.dead += 1;
      const reason = reasonOf(storedError);
      if (!reason) fates.deadWithoutReason.push(id);
      fates.deadReasons[reason ?? "(none)"] = (fates.deadReasons[reason ?? "(none)"] ?? 0) + 1;
    } else fates.unfinished.push({ id, state });
  });
  return fates;
}

export function reasonOf(storedError: string | null): string | undefined {
  if (!storedError) return undefined;
  try {
    const reason = (JSON.parse(storedError) as { reason?: unknown }).reason;
    return typeof reason === "string" && reason !== "" ? reason : undefined;
  } catch {
    return undefined;
  }
}

async function activeLists(redis: Redis, keys: QueueKeys): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [nextCursor, batch] = await redis.scan(cursor, "MATCH", `${keys.activePrefix}*`, "COUNT", 1_000);
    cursor = nextCursor;
    found.push(...batch);
  } while (cursor !== "0");
  return found;
}

/** Every job id in any worker's in-flight list right now (markers left out). */
export async function inFlightNow(redis: Redis, queue: string, prefix?: string): Promise<Set<string>> {
  const keys = queueKeys(queue, prefix);
  const ids = new Set<string>();
  for (const key of await activeLists(redis, keys)) {
    // Only jobs: not the wake-up marker, nor a group's token (a BLMOVE moves those like any entry).
    for (const entry of await redis.lrange(key, 0, -1)) if (isLocalId(entry)) ids.add(jobId(queue, entry));
  }
  return ids;
}

/** The ids in one worker's in-flight list. */
export async function inFlightOf(redis: Redis, queue: string, workerId: string, prefix?: string): Promise<string[]> {
  const entries = await redis.lrange(queueKeys(queue, prefix).active(workerId), 0, -1);
  return entries.filter(isLocalId).map((entry) => jobId(queue, entry));
}

export interface QueueDepth {
  waiting: number;
  delayed: number;
  inFlight: number;
}

export async function queueDepth(redis: Redis, queue: string, prefix?: string): Promise<QueueDepth> {
  const keys = queueKeys(queue, prefix);
  const wait = await redis.lrange(keys.wait, 0, -1);
  const lists = await activeLists(redis, keys);
  let inFlight = 0;
  for (const key of lists) inFlight += (await redis.lrange(key, 0, -1)).filter((entry) => entry !== "~").length;
  return { waiting: wait.filter((entry) => entry !== "~").length, delayed: await redis.zcard(keys.delayed), inFlight };
}

/**
 * Resolves when nothing is waiting, delayed or in flight. A condition in Redis with no event to await, so it is
 * checked by `waitFor`; the error says how deep the queue still was.
 */
export async function waitForDrain(redis: Redis, queue: string, timeoutMs: number, prefix?: string): Promise<void> {
  let last: QueueDepth | undefined;
  try {
    await waitFor(
      async () => {
        last = await queueDepth(redis, queue, prefix);
        return last.waiting === 0 && last.delayed === 0 && last.inFlight === 0;
      },
      { timeoutMs, intervalMs: 100, what: `queue ${queue} to drain` },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (last seen: ${JSON.stringify(last)})`);
  }
}

/**
 * How many times each job was found on a worker whose lease had expired (the record's stall count `k`). A job
 * runs more than once only after such a reap (or a shutdown hand-back), so this explains duplicates.
 */
export async function stallsOf(redis: Redis, ids: readonly string[], prefix?: string): Promise<Map<string, number>> {
  const stalls = new Map<string, number>();
  (await recordsOf(redis, ids, prefix)).forEach((record, index) => stalls.set(ids[index]!, Number(record[FIELD.stalls] ?? 0)));
  return stalls;
}

export interface Whereabouts {
  id: string;
  /** The record without payload and result. */
  record: Record<string, string>;
  /** `wait`, `delayed`, or `active:<worker>` for every list holding the id. */
  lists: string[];
}

/** Where each job is: its record and every list that holds it (for explaining stuck or lost jobs). */
export async function whereabouts(redis: Redis, ids: readonly string[], prefix?: string): Promise<Whereabouts[]> {
  const out: Whereabouts[] = [];
  for (const id of ids) {
    const { queue, localId } = parseJobId(id)!;
    const keys = queueKeys(queue, prefix);
    const [record = {}] = await recordsOf(redis, [id], prefix);
    delete record[FIELD.data];
    delete record[FIELD.result];
    const lists: string[] = [];
    if ((await redis.lpos(keys.wait, localId)) !== null) lists.push("wait");
    if ((await redis.zscore(keys.delayed, localId)) !== null) lists.push("delayed");
    for (const key of await activeLists(redis, keys)) {
      if ((await redis.lpos(key, localId)) !== null) lists.push(key.slice(keys.activePrefix.length - "active:".length));
    }
    out.push({ id, record, lists });
  }
  return out;
}

/** Ids among `ids` whose record is still `waiting`: in an in-flight list, that means moved by BLMOVE, not yet claimed. */
export async function stillWaiting(redis: Redis, ids: readonly string[], prefix?: string): Promise<string[]> {
  const records = await recordsOf(redis, ids, prefix);
  return ids.filter((_, index) => records[index]![FIELD.state] === "waiting");
}
