/**
 * What a recurring schedule is: the shape written in a job definition (`schedules: [...]`) or sent to
 * `PUT /v1/admin/schedules/{id}`, validated here once for both, and the spec JSON stored in `{q}:schedules`.
 * Cron patterns and time zones are checked by croner (the library that also computes the fire times), so what
 * is accepted is exactly what can be computed; a cron may have a seconds field (6 fields).
 */
import { Cron } from "croner";
import { z } from "zod";
import { parseDuration } from "../duration";
import { CALLBACK_OUTCOMES } from "../callbacks";
import { MAX_ATTEMPTS_LIMIT } from "../job-definition";
import { webhookJob } from "../jobs/webhook";
import { PRIORITY_MAX, PRIORITY_MIN } from "../priority";
import { checkWebhookUrl } from "../ssrf";

const OUTCOMES_HINT = `expected ${CALLBACK_OUTCOMES.join(", ")} or both`;

/** What to do with ticks missed while no worker was up: fire the latest one, all of them (bounded), or none. */
export const CATCH_UP = ["one", "all", "none"] as const;
export type CatchUp = (typeof CATCH_UP)[number];

/**
 * `catchUp: "all"` creates at most this many jobs for the missed ticks of one schedule (the most recent ones):
 * a per-second schedule after a day's outage would otherwise enqueue 86,400 jobs in one script call.
 */
export const MAX_CATCH_UP = 100;

/** Shortest `every`: below a second use a cron with a seconds field, which has the same one-second floor. */
export const MIN_EVERY_MS = 1_000;

/** Schedule ids: also the path segment of the admin API and part of each tick's job id hash. */
export const SCHEDULE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * Per-job options a schedule's jobs are created with (the enqueue options of the same names, as a batch item
 * writes them). `callback` follows the webhook job's URL rule here; the deployment's SSRF policy is applied by
 * the edge's PUT route (and by the worker when it sends), a code schedule's URL is checked like a definition's
 * default callback (policy-free rules only: private networks are judged at send time).
 */
export const ScheduleJobOptionsSchema = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(MAX_ATTEMPTS_LIMIT).optional(),
    backoffMs: z.number().int().positive().optional(),
    timeoutMs: z.number().int().positive().optional(),
    priority: z
      .number()
      .int()
      .min(PRIORITY_MIN)
      .max(PRIORITY_MAX)
      .optional()
      .describe(`Priority of each tick's job, ${PRIORITY_MIN} (runs first) to ${PRIORITY_MAX} (runs last). Default: the job type's.`),
    callback: webhookJob.schema.shape.url
      .superRefine((url, ctx) => {
        const refused = checkWebhookUrl(url, { allowPrivateNetworks: true });
        if (refused) ctx.addIssue({ code: "custom", message: refused });
      })
      .optional()
      .describe("Completion callback URL of each tick's job (as the enqueue option `callback`). Default: the job type's."),
    callbackOn: z
      .array(z.enum(CALLBACK_OUTCOMES, { error: OUTCOMES_HINT }))
      .min(1, OUTCOMES_HINT)
      .transform((on) => [...new Set(on)])
      .optional()
      .describe('Outcomes the callback is sent for: ["completed"], ["dead"] or both (default both). Needs `callback`.'),
  })
  .refine((options) => options.callbackOn === undefined || options.callback !== undefined, {
    message: "callbackOn needs a callback URL",
    path: ["callbackOn"],
  });
export type ScheduleJobOptions = z.infer<typeof ScheduleJobOptionsSchema>;

/** Why a cron pattern (in a time zone) cannot be used; undefined when it can. */
export function cronProblem(cron: string, tz?: string): string | undefined {
  try {
    new Cron(cron, { paused: true, ...(tz ? { timezone: tz } : {}) }).nextRun();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Whether `tz` is an IANA time zone this runtime knows (workerd and Node both ship the ICU data). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const timing = {
  cron: z.string().min(1).max(200).optional(),
  every: z
    .union([z.string(), z.number()])
    .optional()
    .describe('A duration ("2s", "15m", or milliseconds), at least 1 s. Ticks are multiples of it since the Unix epoch (UTC).'),
  tz: z.string().max(64).optional().describe("IANA time zone of a cron pattern (default UTC)."),
};

function checkTiming(value: { cron?: string; every?: string | number; tz?: string }, ctx: z.RefinementCtx): void {
  if ((value.cron === undefined) === (value.every === undefined)) {
    ctx.addIssue({ code: "custom", path: [value.cron === undefined ? "cron" : "every"], message: "give exactly one of cron or every" });
    return;
  }
  if (value.tz !== undefined && !isTimeZone(value.tz)) {
    ctx.addIssue({ code: "custom", path: ["tz"], message: `unknown time zone "${value.tz}"` });
    return;
  }
  if (value.cron !== undefined) {
    const problem = cronProblem(value.cron, value.tz);
    if (problem) ctx.addIssue({ code: "custom", path: ["cron"], message: `invalid cron pattern: ${problem}` });
  } else {
    if (value.tz !== undefined) ctx.addIssue({ code: "custom", path: ["tz"], message: "tz applies to cron patterns only" });
    const ms = parseDuration(value.every!);
    if (ms === undefined || ms < MIN_EVERY_MS) {
      ctx.addIssue({ code: "custom", path: ["every"], message: `expected a duration of at least ${MIN_EVERY_MS} ms ("2s", "5m")` });
    }
  }
}

/** What a schedule says besides which one it is: when, with what data and options, and what to do after an outage. */
const scheduleFields = {
  ...timing,
  data: z.unknown(),
  options: ScheduleJobOptionsSchema.optional(),
  catchUp: z.enum(CATCH_UP).optional(),
};

/** A schedule in a job definition. */
export const CodeScheduleSchema = z
  .strictObject({ id: z.string().regex(SCHEDULE_ID, "letters, digits and . _ : - (up to 128)"), ...scheduleFields })
  .superRefine(checkTiming);
export type CodeSchedule = z.input<typeof CodeScheduleSchema>;

/** The body of `PUT /v1/admin/schedules/{id}`; `data` is checked against the job's schema by the caller. */
export const ScheduleBodySchema = z.strictObject({ job: z.string().min(1), ...scheduleFields }).superRefine(checkTiming);
export type ScheduleBody = z.input<typeof ScheduleBodySchema>;

/** What `{q}:schedules` holds per id (as JSON, keys in this order so an unchanged spec is byte-identical). */
export interface ScheduleSpec {
  job: string;
  cron?: string;
  everyMs?: number;
  tz?: string;
  data: unknown;
  options?: ScheduleJobOptions;
  catchUp: CatchUp;
  /** "code": from a job definition (a worker start removes it when the code no longer has it); "api": PUT. */
  source: "code" | "api";
}

/** Builds the stored spec from validated input, its keys always in the same order. */
export function toSpec(
  job: string,
  input: { cron?: string; every?: string | number; tz?: string; data?: unknown; options?: ScheduleJobOptions; catchUp?: CatchUp },
  source: ScheduleSpec["source"],
): ScheduleSpec {
  const spec: ScheduleSpec = { job, data: null, catchUp: input.catchUp ?? "one", source };
  if (input.cron !== undefined) spec.cron = input.cron;
  if (input.every !== undefined) spec.everyMs = parseDuration(input.every)!;
  if (input.tz !== undefined) spec.tz = input.tz;
  const ordered: ScheduleSpec = { job: spec.job, cron: spec.cron, everyMs: spec.everyMs, tz: spec.tz, data: input.data ?? null, catchUp: spec.catchUp, source };
  if (input.options && Object.keys(input.options).length) ordered.options = input.options;
  // Through JSON once: undefined keys drop out, so the object equals what a read of the stored JSON gives.
  return JSON.parse(JSON.stringify(ordered)) as ScheduleSpec;
}

export const ScheduleSpecSchema = z.object({
  job: z.string(),
  cron: z.string().optional(),
  everyMs: z.number().int().positive().optional(),
  tz: z.string().optional(),
  data: z.unknown(),
  options: ScheduleJobOptionsSchema.optional(),
  catchUp: z.enum(CATCH_UP),
  source: z.enum(["code", "api"]),
});

/** The stored JSON of a spec (one canonical text per spec: the compare of upsert and fire). */
export function specJson(spec: ScheduleSpec): string {
  return JSON.stringify(spec);
}
