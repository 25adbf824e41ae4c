/**
 * `defineJob` declares a job type once, for both sides: the edge validates payloads with `schema`, the worker
 * hands handlers the parsed `z.infer<schema>`, and the defaults below apply unless a request overrides them.
 */
import type { z } from "zod";
import type { BackoffPolicy } from "./backoff";
import { CALLBACK_OUTCOMES, type CallbackOutcome } from "./callbacks";
import { checkWebhookUrl } from "./ssrf";
import { parseDuration } from "./duration";
import { checkConcurrency, checkRate, type RateLimit } from "./flow/limits";
import type { GroupLimits } from "./flow/groups";
import { QUEUE_NAME } from "./ids";
import { DEFAULT_PRIORITY, isPriority, PRIORITY_MAX, PRIORITY_MIN } from "./priority";
import type { CodeSchedule } from "./schedules/spec";

/**
 * A recurring schedule of this job type: `{ id, cron | every, tz?, data, options?, catchUp? }` (schedules/spec.ts).
 * Checked when a worker serving the job starts (a bad one stops it with one line naming the schedule).
 */
export type JobSchedule<S extends z.ZodType> = Omit<CodeSchedule, "data"> & { data: z.input<S> };

/** A completion callback: where the status record is POSTed when the job ends with one of `on`. */
export interface JobCallback {
  /** http(s) URL; the webhook job's SSRF rules apply when it is sent. */
  url: string;
  /** Default both. */
  on?: readonly CallbackOutcome[];
}

export interface JobDefinitionInput<N extends string, S extends z.ZodType> {
  /** Lower-case letters, digits and dashes; also the queue name (one queue per job type). */
  name: N;
  /** Validates the payload at the edge and again in the worker. */
  schema: S;
  description?: string;
  /** Total runs before the job is dead-lettered (1–25). Default 5. */
  maxAttempts?: number;
  /** Retry delays: exponential with full jitter. Default base 1 s, cap 1 h. */
  backoff?: Partial<BackoffPolicy>;
  /** Per-run timeout in ms: the handler's signal aborts and the run counts as failed. Default 30 s. */
  timeoutMs?: number;
  /** How long finished records stay readable. Defaults: completed 24 h, dead 7 days. */
  retention?: { completedMs?: number; deadMs?: number };
  /** Times a job may be found on a dead worker before it is dead-lettered as `stalled`. Default 3. */
  maxStalls?: number;
  /** 1 runs first … 10 runs last; a request's `priority` option overrides it. Default 5 (priority.ts). */
  priority?: number;
  /** `thread`: run the handler in the worker thread pool so CPU work cannot freeze heartbeats. */
  runIn?: "main" | "thread";
  /** Recurring schedules, upserted by workers at start; code is their source of truth. */
  schedules?: readonly JobSchedule<S>[];
  /**
   * Default completion callback of every job of this type enqueued without `callback=` (a request's
   * `callbackOn` alone narrows this default). Written into each job's record at enqueue time.
   */
  callback?: JobCallback;
  /**
   * Created by Offload itself, never by a producer: no `POST /v1/jobs/{name}` route (the built-in `event` job,
   * which a worker expands into an event's target jobs, is published through `POST /v1/events/{name}`).
   */
  internal?: boolean;
  /**
   * At most `max` jobs of this type start in any window of `per` (ms, or a duration such as "1s"), across every
   * worker: enforced inside the claim script (a sliding window, so no window of that length ever holds more).
   * An admin may override it at runtime (`PUT /v1/admin/queues/{name}/limits`).
   */
  rateLimit?: { max: number; per: number | string };
  /** At most this many jobs of this type run at once across every worker process (claimed, not yet settled). */
  concurrency?: number;
  /**
   * The group a job belongs to, from its payload (e.g. `(data) => data.tenantId`): the jobs of a queue are started
   * round robin between groups, so one group's backlog never starves another's jobs, and `groupLimits` cap each
   * group. A request's `group=<key>` option wins over it. Returning undefined, null or "" (or throwing) leaves the
   * job ungrouped; a value that is not a valid key (1–128 printable ASCII, no space) is replaced by a digest of it.
   */
  group?: (data: z.infer<S>) => string | number | null | undefined;
  /**
   * Limits of each group on its own, fleet-wide (PROTOCOL.md "Groups"): at most `concurrency` jobs of one group
   * running at once, at most `rateLimit.max` starts of one group in any window of `rateLimit.per`.
   */
  groupLimits?: { concurrency?: number; rateLimit?: { max: number; per: number | string } };
}

export interface JobDefinition<N extends string = string, S extends z.ZodType = z.ZodType> {
  name: N;
  schema: S;
  description: string;
  maxAttempts: number;
  backoff: BackoffPolicy;
  timeoutMs: number;
  retention: { completedMs: number; deadMs: number };
  maxStalls: number;
  /** Its queue's default priority, the "list priority" (priority.ts). */
  priority: number;
  runIn: "main" | "thread";
  schedules: readonly JobSchedule<S>[];
  callback?: JobCallback;
  internal: boolean;
  /** null: no rate limit (unless overridden at runtime). */
  rateLimit: RateLimit | null;
  /** null: no fleet-wide concurrency limit (unless overridden at runtime). */
  concurrency: number | null;
  /** The group of a job from its payload; null: only a request's `group` option groups a job. */
  group: ((data: z.infer<S>) => string | number | null | undefined) | null;
  groupLimits: GroupLimits;
}

export const JOB_DEFAULTS = {
  maxAttempts: 5,
  backoff: { baseMs: 1_000, maxMs: 3_600_000 },
  timeoutMs: 30_000,
  retention: { completedMs: 24 * 3_600_000, deadMs: 7 * 24 * 3_600_000 },
  maxStalls: 3,
} as const;

export const MAX_ATTEMPTS_LIMIT = 25;

/**
 * @example
 * export const sendEmail = defineJob({
 *   name: "send-email",
 *   schema: z.object({ to: z.email(), subject: z.string() }),
 *   maxAttempts: 8,
 * });
 */
export function defineJob<const N extends string, S extends z.ZodType>(
  input: JobDefinitionInput<N, S>,
): JobDefinition<N, S> {
  if (!QUEUE_NAME.test(input.name)) throw new Error(`Invalid job name "${input.name}": use [a-z][a-z0-9-]*`);
  const maxAttempts = input.maxAttempts ?? JOB_DEFAULTS.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT) {
    throw new Error(`Job "${input.name}": maxAttempts must be an integer from 1 to ${MAX_ATTEMPTS_LIMIT}`);
  }
  if (input.callback) {
    // What can be known without the deployment's policy (private networks are judged when it is sent).
    const refused = checkWebhookUrl(input.callback.url, { allowPrivateNetworks: true });
    if (refused) throw new Error(`Job "${input.name}": callback.url is refused: ${refused}`);
    const on = input.callback.on;
    if (on && (on.length === 0 || !on.every((outcome) => (CALLBACK_OUTCOMES as readonly string[]).includes(outcome)))) {
      throw new Error(`Job "${input.name}": callback.on must name ${CALLBACK_OUTCOMES.join(" and/or ")}`);
    }
  }
  let rateLimit: RateLimit | null = null;
  if (input.rateLimit) {
    const checked = checkRate(input.rateLimit.max, parseDuration(input.rateLimit.per));
    if (typeof checked === "string") throw new Error(`Job "${input.name}": rateLimit: ${checked}`);
    rateLimit = checked;
  }
  const concurrencyProblem = input.concurrency === undefined ? undefined : checkConcurrency(input.concurrency);
  if (concurrencyProblem) throw new Error(`Job "${input.name}": concurrency ${concurrencyProblem}`);
  let groupRate: RateLimit | null = null;
  if (input.groupLimits?.rateLimit) {
    const checked = checkRate(input.groupLimits.rateLimit.max, parseDuration(input.groupLimits.rateLimit.per));
    if (typeof checked === "string") throw new Error(`Job "${input.name}": groupLimits.rateLimit: ${checked}`);
    groupRate = checked;
  }
  const groupConcurrency = input.groupLimits?.concurrency;
  const groupConcurrencyProblem = groupConcurrency === undefined ? undefined : checkConcurrency(groupConcurrency);
  if (groupConcurrencyProblem) throw new Error(`Job "${input.name}": groupLimits.concurrency ${groupConcurrencyProblem}`);
  const priority = input.priority ?? DEFAULT_PRIORITY;
  if (!isPriority(priority)) {
    throw new Error(`Job "${input.name}": priority must be an integer from ${PRIORITY_MIN} to ${PRIORITY_MAX}`);
  }
  return {
    name: input.name,
    schema: input.schema,
    description: input.description ?? "",
    maxAttempts,
    backoff: { ...JOB_DEFAULTS.backoff, ...input.backoff },
    timeoutMs: input.timeoutMs ?? JOB_DEFAULTS.timeoutMs,
    retention: { ...JOB_DEFAULTS.retention, ...input.retention },
    maxStalls: input.maxStalls ?? JOB_DEFAULTS.maxStalls,
    priority,
    runIn: input.runIn ?? "main",
    schedules: input.schedules ?? [],
    ...(input.callback ? { callback: input.callback } : {}),
    internal: input.internal ?? false,
    rateLimit,
    concurrency: input.concurrency ?? null,
    group: input.group ?? null,
    groupLimits: { concurrency: groupConcurrency ?? null, rateLimit: groupRate },
  };
}
