/**
 * Completion callbacks, second hop: move the entries the settle scripts left in a queue's `{q}:callbacks` into
 * the `callback` queue. Two slots (under Redis Cluster the callback queue lives elsewhere), so no script can do
 * it atomically; instead every step is idempotent. Per chunk of up to CALLBACK_CHUNK entries:
 *   1. `callbacks_take` returns the entries with their jobs' records (and forgets the previous chunk);
 *   2. one `enqueue` creates their callback jobs under ids derived from job id + outcome (callbacks.ts);
 *   3. the next `callbacks_take` forgets them.
 * A worker that dies after 2 leaves the entries behind; whoever moves them next enqueues the same ids, which
 * enqueue's "existing id" path turns into no-ops: one callback job per job and outcome. Cost: 3 round trips for
 * the first chunk (take, enqueue, take-and-forget), 2 for each further one.
 */
import { CALLBACK_OUTCOMES, callbackLocalId, type CallbackOutcome } from "../callbacks";
import { jobId } from "../ids";
import type { JobDefinition } from "../job-definition";
import type { QueueKeys } from "../keys";
import { pairsToObject, recordToStatus, FIELD, type JobStatus } from "../record";
import { scriptCall, type ScriptCall, type ScriptRunner } from "../script-runner";
import { producerStatus } from "../status-view";
import { enqueue, prepareJob, type EnqueueResult } from "./enqueue";

/** Entries per step: bounds the reply (each carries a whole record) and the enqueue that follows. */
export const CALLBACK_CHUNK = 100;

export interface CallbackEntry {
  /** As stored in `{q}:callbacks`: "<local id>:<outcome>". */
  entry: string;
  jobId: string;
  outcome: CallbackOutcome;
  url: string;
  /** What a producer key reads from GET /v1/jobs/{id} now (an expired record: only its id and final state). */
  status: JobStatus;
}

/** @example takeCallbacksCall(keys, ["mfz3k2x9q1a8b7c6:completed"]) */
export function takeCallbacksCall(keys: QueueKeys, forget: readonly string[] = [], chunk = CALLBACK_CHUNK): ScriptCall {
  return scriptCall("callbacks_take", { callbacks: keys.callbacks }, [keys.jobPrefix, chunk, ...forget]);
}

/** Entries that are not "<local id>:<known outcome>" come back in `unreadable`: forgotten without a callback. */
export function parseTakeCallbacksReply(keys: QueueKeys, reply: unknown): { entries: CallbackEntry[]; unreadable: string[] } {
  const entries: CallbackEntry[] = [];
  const unreadable: string[] = [];
  for (const item of reply as [unknown, unknown, unknown[]][]) {
    const entry = String(item[0]);
    const sep = entry.lastIndexOf(":");
    const outcome = entry.slice(sep + 1) as CallbackOutcome;
    if (sep <= 0 || !CALLBACK_OUTCOMES.includes(outcome)) {
      unreadable.push(entry);
      continue;
    }
    const id = jobId(keys.queue, entry.slice(0, sep));
    const flat = Array.isArray(item[2]) ? item[2] : [];
    // A record gone before its entry moved (a retention shorter than the outage): the outcome is still known.
    const record = flat.length ? pairsToObject(flat) : { [FIELD.state]: outcome };
    entries.push({ entry, jobId: id, outcome, url: String(item[1]), status: producerStatus(recordToStatus(id, record)) });
  }
  return { entries, unreadable };
}

export interface MoveCallbacksOptions {
  chunk?: number;
  /** Called after each chunk's enqueue was answered, before it is forgotten: tests stop a mover exactly there. */
  afterEnqueue?: (results: readonly EnqueueResult[]) => Promise<void> | void;
}

/**
 * Moves every entry of `keys.callbacks` into the callback queue; resolves with how many callback jobs it created
 * (entries another mover had already enqueued count as existing, not created).
 * @example
 * await moveCallbacks(runner, queueKeys("webhook"), { keys: queueKeys("callback"), definition: callbackJob });
 */
export async function moveCallbacks(
  runner: ScriptRunner,
  keys: QueueKeys,
  target: { keys: QueueKeys; definition: JobDefinition },
  options: MoveCallbacksOptions = {},
): Promise<number> {
  let forget: string[] = [];
  let created = 0;
  for (;;) {
    const { entries, unreadable } = parseTakeCallbacksReply(keys, await runner.run(takeCallbacksCall(keys, forget, options.chunk)));
    forget = unreadable;
    if (entries.length === 0) {
      if (forget.length) await runner.run(takeCallbacksCall(keys, forget, 0));
      return created;
    }
    const jobs = await Promise.all(
      entries.map(async ({ jobId: id, outcome, url, status }) => {
        const job = await prepareJob(target.definition, { url, outcome, status });
        job.localId = await callbackLocalId(id, outcome);
        return job;
      }),
    );
    const results = await enqueue(runner, target.keys, jobs);
    created += results.filter((result) => result.outcome === "created").length;
    await options.afterEnqueue?.(results);
    forget.push(...entries.map((entry) => entry.entry));
  }
}
