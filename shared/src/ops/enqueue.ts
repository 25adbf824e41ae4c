/**
 * Enqueue: one script call for one job or a whole batch (all of one job type, so all keys share one slot).
 */
import { JOB_DEFAULTS, type JobDefinition } from "../job-definition";
import { jobId, newLocalId } from "../ids";
import type { QueueKeys } from "../keys";
import type { JobOptions } from "../envelope";
import { scriptCall, type ScriptCall, type ScriptRunner } from "../script-runner";
import { SCRIPTS } from "../generated/scripts";
import type { JobState } from "../record";
import { callbackOverrides, type CallbackOutcome } from "../callbacks";
import { derivedGroupKey } from "../flow/groups";

/** What a producer may choose per job (the edge's query options, already parsed). */
export interface EnqueueOptions {
  delayMs?: number;
  /** Absolute time (ms since epoch) before which the job must not run. */
  runAt?: number;
  maxAttempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
  idempotencyKey?: string;
  /**
   * While a job enqueued with this key is waiting or delayed (not yet started), an enqueue with the same key
   * returns that job (outcome "existing") whatever its payload.
   */
  dedupeKey?: string;
  /** With `dedupeKey`: the job runs this long after the LAST enqueue with the key, with the last payload. */
  debounceMs?: number;
  /** Completion callback URL; default: the definition's `callback`. */
  callback?: string;
  /** Outcomes the callback is sent for; default the definition's, else both. */
  callbackOn?: readonly CallbackOutcome[];
  /** 1 runs first … 10 runs last. Default: the job definition's priority (priority.ts). */
  priority?: number;
  /** Group key (flow/groups.ts, validated by the caller); wins over the definition's `group(data)`. */
  group?: string;
}

export interface PreparedJob {
  localId: string;
  name: string;
  dataJson: string;
  maxAttempts: number;
  optionsJson: string;
  delayMs: number;
  runAt: number;
  idempotencyKey: string;
  fingerprint: string;
  /** "" or absent: none. */
  dedupeKey?: string;
  /** 0 or absent: none. */
  debounceMs?: number;
  /**
   * 0 or absent: the definition's priority, the queue's "list priority" (the job goes to the wait list, as
   * always). 1-10: another priority (the priority zset; stored in the record's `P`).
   */
  priority?: number;
  /** "" or absent: no group. A grouped job always carries its priority (never 0): it waits in its group's zset. */
  group?: string;
}

/**
 * `skipped`: not written because another job of the same call conflicts (a call is all or nothing); its state is
 * reported as `expired` (no record behind the id).
 */
export type EnqueueOutcome = "created" | "existing" | "conflict" | "skipped";
export interface EnqueueResult {
  id: string;
  localId: string;
  state: JobState | "expired";
  outcome: EnqueueOutcome;
}

const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/**
 * The payload fingerprint an idempotency key is stored with (a later request with the same key and another
 * payload is a conflict). Only computed when the job has an idempotency key: without one it is never needed.
 */
async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  let hex = "";
  for (const byte of digest) hex += HEX[byte]!;
  return hex;
}

/**
 * Turns a validated payload and options into the script's arguments. The id is chosen here, before the request,
 * so that a request re-sent by the client carries the same id. Without an idempotency key nothing here awaits
 * anything (no hashing); it stays async because the fingerprint, when there is one, uses WebCrypto.
 * @example
 * const job = await prepareJob(webhookJob, { url, body }, { delayMs: 5000 });
 */
export async function prepareJob(
  definition: JobDefinition,
  data: unknown,
  options: EnqueueOptions = {},
): Promise<PreparedJob> {
  const dataJson = JSON.stringify(data ?? null);
  // The request's group wins over the definition's; a function that throws leaves the job ungrouped.
  let group = options.group;
  if (group === undefined && definition.group) {
    let value: unknown;
    try {
      value = definition.group(data);
    } catch {
      value = undefined;
    }
    group = await derivedGroupKey(value);
  }
  const priority = options.priority === undefined || options.priority === definition.priority ? 0 : options.priority;
  return {
    localId: newLocalId(),
    name: definition.name,
    dataJson,
    maxAttempts: options.maxAttempts ?? definition.maxAttempts,
    optionsJson: optionsJsonOf(definition, options),
    delayMs: options.delayMs ?? 0,
    runAt: options.runAt ?? 0,
    idempotencyKey: options.idempotencyKey ?? "",
    fingerprint: options.idempotencyKey ? await sha256Hex(`${definition.name}\n${dataJson}`) : "",
    dedupeKey: options.dedupeKey ?? "",
    debounceMs: options.dedupeKey ? (options.debounceMs ?? 0) : 0,
    priority: group ? (options.priority ?? definition.priority) : priority,
    ...(group ? { group } : {}),
  };
}

/** The options JSON (`o`): "" when nothing overrides the definition, which is most jobs (checked first, cheaply). */
function optionsJsonOf(definition: JobDefinition, options: EnqueueOptions): string {
  if (
    options.backoffMs === undefined &&
    options.timeoutMs === undefined &&
    options.callback === undefined &&
    options.callbackOn === undefined &&
    definition.callback === undefined
  ) {
    return "";
  }
  const overrides: JobOptions = {};
  if (options.backoffMs !== undefined) overrides.backoffMs = options.backoffMs;
  if (options.timeoutMs !== undefined) overrides.timeoutMs = options.timeoutMs;
  // The callback travels in the options JSON (`o`), which the settle scripts read only for jobs that finish.
  // A request's own callback means both outcomes unless it says otherwise; only the default's URL brings its `on`.
  const on = options.callbackOn ?? (options.callback === undefined ? definition.callback?.on : undefined);
  Object.assign(overrides, callbackOverrides(options.callback ?? definition.callback?.url, on));
  return Object.keys(overrides).length ? JSON.stringify(overrides) : "";
}

/**
 * Applies one idempotency key to a whole batch: item i gets the key `<key>#<i>`, and every item the fingerprint of
 * the whole body (name, and each item's data and options as validated). Why per item and not one key for the
 * batch: the script's existing per-job idempotency then answers a re-sent batch with each item's original id,
 * and its all-or-nothing check (every key read before anything is written) refuses a different body, whatever
 * its length: index 0 exists with another fingerprint. No separate record of the batch length is needed for
 * that, because the length is part of the fingerprinted body. What it costs: keyed items use the script's long
 * form (12 arguments instead of 3), and `<key>#<i>` shares the single-job key space: a single job enqueued with
 * the key `order-7#0` and a batch with the key `order-7` conflict (422), they never merge.
 * @example
 * const jobs = await prepareBatch(noopJob, [{ data: {} }, { data: {} }], "import-42");
 */
export async function prepareBatch(
  definition: JobDefinition,
  items: readonly { data: unknown; options?: EnqueueOptions }[],
  idempotencyKey?: string,
): Promise<PreparedJob[]> {
  const jobs = await Promise.all(items.map((item) => prepareJob(definition, item.data, withoutKey(item.options))));
  if (idempotencyKey === undefined) return jobs;
  // "batch" keeps batch fingerprints apart from single-job ones (`<name>\n<data JSON>`: JSON has no raw newline).
  const body = items.map((item) => ({ data: item.data ?? null, options: withoutKey(item.options) }));
  const fingerprint = await sha256Hex(`${definition.name}\nbatch\n${JSON.stringify(body)}`);
  return jobs.map((job, index) => ({ ...job, idempotencyKey: `${idempotencyKey}#${index}`, fingerprint }));
}

/** A batch item's options never carry a key of their own: the batch's key names every item. */
function withoutKey(options: EnqueueOptions | undefined): EnqueueOptions {
  const { idempotencyKey: _ignored, ...rest } = options ?? {};
  return rest;
}

/** How long an idempotency key keeps pointing at its job: as long as a completed record is kept. */
export const IDEMPOTENCY_TTL_MS = JOB_DEFAULTS.retention.completedMs;

/** The scripts an enqueue call may run (enqueueCall picks one): the edge treats both as an enqueue. */
export const ENQUEUE_SCRIPTS: ReadonlySet<string> = new Set([SCRIPTS.enqueue.name, SCRIPTS.enqueue_short.name]);

/**
 * The one script call that enqueues `jobs`: enqueue_short when every job is plain (isPlain: the common case,
 * and always a request without options), else enqueue. Both write the same records (protocol conformance test).
 */
export function enqueueCall(keys: QueueKeys, jobs: readonly PreparedJob[], now: number = Date.now()): ScriptCall {
  const attempts = jobs[0]?.maxAttempts ?? 0;
  if (jobs.length > 0 && jobs.every((job) => isPlain(keys, job, attempts, now))) return shortEnqueueCall(keys, jobs, now);
  return longEnqueueCall(keys, jobs, now);
}

/** The enqueue script, whatever the jobs carry. Exported for the conformance test; callers use enqueueCall. */
export function longEnqueueCall(keys: QueueKeys, jobs: readonly PreparedJob[], now: number = Date.now()): ScriptCall {
  // Most jobs of a call share their attempts and nothing else is set: those go in the script's short form (id,
  // data, ""), 3 arguments instead of 12. Measured: each argument costs the producer (ioredis encodes it) and
  // Redis (parses it into a Lua string); the short form took ≈ 1 µs a job off a batch.
  const defaultAttempts = jobs[0]?.maxAttempts ?? 0;
  const args: (string | number)[] = [now, keys.jobPrefix, keys.idemPrefix, IDEMPOTENCY_TTL_MS, jobs.length, defaultAttempts, keys.dedupePrefix];
  for (const job of jobs) {
    const runAt = runAtOf(job, now);
    // A job's name is its queue's name unless definitions say otherwise: then it is implied, not stored.
    const name = job.name === keys.queue ? "" : job.name;
    if (job.group) {
      // A job of a group: the long form with its group as a 13th argument (form "*", enqueue.lua).
      args.push(job.localId, job.dataJson, "*", name, job.maxAttempts, job.optionsJson, runAt, job.idempotencyKey, job.fingerprint, job.dedupeKey ?? "", job.debounceMs ?? 0, job.priority ?? 0, job.group);
    } else if (name === "" && job.maxAttempts === defaultAttempts && job.optionsJson === "" && runAt === 0 && job.idempotencyKey === "" && !job.dedupeKey) {
      // A priority other than the list's rides in the form argument ("1".."10"): still 3 arguments.
      args.push(job.localId, job.dataJson, job.priority ? String(job.priority) : "");
    } else {
      args.push(job.localId, job.dataJson, "+", name, job.maxAttempts, job.optionsJson, runAt, job.idempotencyKey, job.fingerprint, job.dedupeKey ?? "", job.debounceMs ?? 0, job.priority ?? 0);
    }
  }
  return scriptCall(
    "enqueue",
    { wait: keys.wait, delayed: keys.delayed, wake: keys.wake, meta: keys.meta, paused: keys.paused, prio: keys.prio, fresh: keys.fresh },
    args,
  );
}

const runAtOf = (job: PreparedJob, now: number) => Math.max(job.runAt, job.delayMs > 0 ? now + job.delayMs : 0);

/**
 * A job enqueue_short can take: enqueue's short form without a priority (the queue's own name, the call's
 * attempts, no options, run now, no idempotency or dedupe key, the list priority, no group). Anything a job may
 * carry later must make it not plain too, or enqueue_short would drop it.
 */
function isPlain(keys: QueueKeys, job: PreparedJob, attempts: number, now: number): boolean {
  return (
    job.name === keys.queue &&
    job.maxAttempts === attempts &&
    job.optionsJson === "" &&
    job.idempotencyKey === "" &&
    !job.dedupeKey &&
    !job.priority &&
    !job.group &&
    runAtOf(job, now) === 0
  );
}

/**
 * enqueue_short: 4 keys, 3 arguments and 2 a job (a single job is 8 values on the wire, where enqueue took 16).
 * Only for plain jobs (isPlain), all of the first job's attempts. Built here rather than through scriptCall:
 * this is the call every request makes. Exported for the conformance test; callers use enqueueCall.
 */
export function shortEnqueueCall(keys: QueueKeys, jobs: readonly PreparedJob[], now: number = Date.now()): ScriptCall {
  const args = [String(now), keys.jobPrefix, String(jobs[0]?.maxAttempts ?? 0)];
  for (const job of jobs) args.push(job.localId, job.dataJson);
  return { script: SCRIPTS.enqueue_short, keys: [keys.wait, keys.meta, keys.paused, keys.fresh], args };
}

/**
 * `jobs`: the jobs of the call, in order (enqueue_short answers a bare count when it created all of them).
 */
export function parseEnqueueReply(keys: QueueKeys, reply: unknown, jobs: readonly PreparedJob[]): EnqueueResult[] {
  if (typeof reply === "number") {
    if (reply !== jobs.length) throw new Error(`enqueue: created ${reply} jobs of ${jobs.length}`);
    return jobs.map((job) => ({ id: jobId(keys.queue, job.localId), localId: job.localId, state: "waiting", outcome: "created" }));
  }
  const flat = reply as string[];
  const results: EnqueueResult[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    const localId = String(flat[i]);
    results.push({
      id: jobId(keys.queue, localId),
      localId,
      state: String(flat[i + 1]) as EnqueueResult["state"],
      outcome: String(flat[i + 2]) as EnqueueOutcome,
    });
  }
  return results;
}

/**
 * @example
 * const [result] = await enqueue(runner, queueKeys("webhook"), [await prepareJob(webhookJob, payload)]);
 */
export async function enqueue(
  runner: ScriptRunner,
  keys: QueueKeys,
  jobs: readonly PreparedJob[],
  now?: number,
): Promise<EnqueueResult[]> {
  return parseEnqueueReply(keys, await runner.run(enqueueCall(keys, jobs, now)), jobs);
}
