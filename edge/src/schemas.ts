/**
 * Response schemas: what the routes answer, declared once for both the OpenAPI document and the handlers'
 * types. Request schemas live with what they validate (options.ts, the job definitions in shared/).
 */
import { z } from "@hono/zod-openapi";
import { CONCURRENCY_LIMIT, JOB_STATES, parseRate } from "../../shared/src/index";

export const JobId = z.string().openapi({ example: "webhook.mfz3k2x9q1a8b7c6" });

export const JobIdParamSchema = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, example: "webhook.mfz3k2x9q1a8b7c6" }),
});

export const JobAcceptedSchema = z
  .object({
    id: JobId,
    name: z.string().openapi({ example: "webhook" }),
    state: z.enum([...JOB_STATES, "expired"]).openapi({
      description: "`waiting` or `delayed` for a new job; a replayed Idempotency-Key reports the job's current state.",
    }),
    statusUrl: z.url().openapi({ example: "https://offload.example.com/v1/jobs/webhook.mfz3k2x9q1a8b7c6" }),
  })
  .openapi("JobAccepted");

export const BatchAcceptedSchema = z.object({ jobs: z.array(JobAcceptedSchema) }).openapi("BatchAccepted");

export const StoredErrorSchema = z
  .object({ message: z.string(), stack: z.string().optional(), reason: z.string().optional(), raw: z.string().optional() })
  .openapi("JobError");

export const JobStatusSchema = z
  .object({
    id: JobId,
    name: z.string(),
    state: z.enum(JOB_STATES),
    attempt: z.number().int(),
    maxAttempts: z.number().int(),
    createdAt: z.string().nullable(),
    runAt: z.string().nullable(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    progress: z.number().nullable(),
    result: z.unknown().openapi({ description: "The handler's return value once completed; null before." }),
    error: StoredErrorSchema.nullable(),
    stalls: z.number().int(),
  })
  .openapi("JobStatus");

export const CancelledSchema = z
  .object({
    id: JobId,
    state: z.literal("cancelled"),
    previousState: z.enum(["waiting", "delayed"]),
  })
  .openapi("JobCancelled");

export const QueueStatsSchema = z
  .object({
    name: z.string(),
    waiting: z.number().int(),
    active: z.number().int(),
    delayed: z.number().int(),
    dead: z.number().int().openapi({ description: "Dead-lettered jobs still listed (records kept for 7 days)." }),
    completed: z.number().int().openapi({ description: "Counter since the queue was created." }),
    failed: z.number().int().openapi({ description: "Failed runs (retried or dead-lettered), counter." }),
    stalled: z.number().int(),
    workers: z.number().int(),
    paused: z.boolean().openapi({ description: "true while the queue is paused: it accepts jobs, no worker starts one." }),
  })
  .openapi("QueueStats");

export const QueuesSchema = z.object({ queues: z.array(QueueStatsSchema) }).openapi("Queues");

export const DeadPageSchema = z
  .object({
    name: z.string(),
    total: z.number().int(),
    jobs: z.array(z.object({ id: JobId, diedAt: z.string(), error: StoredErrorSchema.nullable() })),
  })
  .openapi("DeadJobs");

// ---- admin API (issue 11): what /v1/admin/queues/* and /v1/admin/jobs/* answer and accept ----

export const QueueNameParamSchema = z.object({
  name: z.string().openapi({ param: { name: "name", in: "path" }, example: "webhook", description: "A job type (one queue per type)." }),
});

const count = z.number().int();

const rateText = z.string().nullable().openapi({ example: "100/1s", description: '"<max>/<duration>": at most max starts in any window of that length.' });
const concurrencyValue = count.nullable().openapi({ example: 5, description: "Jobs running at once across every worker." });

export const QueueLimitsSchema = z
  .object({
    rate: rateText.openapi({ description: "The rate limit in effect (the override, else the definition's); null: none." }),
    concurrency: concurrencyValue.openapi({ description: "The concurrency in effect (the override, else the definition's); null: none." }),
    override: z.object({ rate: rateText, concurrency: concurrencyValue }).openapi({ description: "Set at runtime with PUT …/limits." }),
    definition: z.object({ rate: rateText, concurrency: concurrencyValue }).openapi({ description: "From the job definition (code)." }),
    throttledUntil: z.string().nullable().openapi({
      description: "ISO time: a handler's RateLimitedError (or a webhook receiver's 429 with Retry-After) paused the queue until then.",
    }),
  })
  .openapi("QueueLimits");

// Both fields optional (absent: unchanged), null clears the override; one object so a bad body gets issues per field.
export const LimitsBodySchema = z
  .strictObject({
    rate: z
      .string()
      .max(100)
      .nullable()
      .optional()
      .superRefine((text, ctx) => {
        if (typeof text !== "string") return;
        const rate = parseRate(text);
        if (typeof rate === "string") ctx.addIssue({ code: "custom", message: rate });
      })
      .openapi({ example: "100/1s", description: '"<max>/<duration>" (`100/1s`, `5/250ms`, `1000/1m`, `10/s`), or null to fall back to the definition.' }),
    concurrency: z
      .number({ error: "must be a whole number" })
      .int({ error: "must be a whole number" })
      .min(1)
      .max(CONCURRENCY_LIMIT)
      .nullable()
      .optional()
      .openapi({ example: 5, description: "Jobs running at once across every worker, or null to fall back to the definition." }),
  })
  .refine((body) => body.rate !== undefined || body.concurrency !== undefined, {
    message: 'send "rate", "concurrency" or both',
    path: ["rate"],
  })
  .openapi("QueueLimitsRequest", { description: "Fields left out stay as they are; null clears the override." });

export const QueueDetailSchema = z
  .object({
    name: z.string(),
    paused: z.boolean(),
    counts: z.object(Object.fromEntries(JOB_STATES.map((state) => [state, count])) as Record<(typeof JOB_STATES)[number], typeof count>).openapi({
      description: "Jobs per state now. completed and cancelled count the listable index (the newest 10,000).",
    }),
    totals: z.object({ completed: count, failed: count, dead: count, stalled: count }).openapi({ description: "All-time counters." }),
    workers: z.array(z.object({ id: z.string(), leaseExpiresAt: z.string(), inFlight: count })),
    history: z
      .array(
        z.object({
          minute: z.string().openapi({ description: "ISO start of the minute." }),
          completed: count,
          failed: count.openapi({ description: "Failed attempts (retried or dead)." }),
          dead: count,
          waiting: count.nullable().openapi({ description: "Waiting depth last seen in that minute; null when unobserved." }),
          runMsMean: z.number().nullable(),
          runMsP95: z.number().nullable().openapi({ description: "Upper bound of the run-time histogram bin holding the 95th percentile." }),
        }),
      )
      .openapi({ description: "One bucket per minute, oldest first, ending with the current minute." }),
    limits: QueueLimitsSchema,
  })
  .openapi("QueueDetail");

export const JobDetailSchema = JobStatusSchema.extend({
  data: z.unknown().openapi({ description: "The payload as validated at enqueue." }),
  options: z.record(z.string(), z.unknown()).openapi({ description: "Per-job option overrides as stored." }),
  errors: z
    .array(StoredErrorSchema.extend({ attempt: z.number().int().optional(), at: z.string().optional() }))
    .openapi({ description: "Errors of the last few failed attempts, oldest first (stacks included: admin keys only)." }),
}).openapi("JobDetail");

export const JobPageSchema = z
  .object({
    jobs: z.array(JobDetailSchema),
    nextCursor: z.string().nullable().openapi({ description: "Pass back as `cursor` for the next page; null on the last page." }),
  })
  .openapi("JobPage");

export const PausedSchema = z.object({ name: z.string(), paused: z.boolean() }).openapi("QueuePaused");

/** Ids in one replay request; more go as `{ all: true }` or several requests. */
export const REPLAY_IDS_MAX = 10_000;

// One object with both fields optional rather than a union, so a bad body gets issues at `ids.3` or `all`
// instead of one "invalid input" at the root.
export const ReplayBodySchema = z
  .strictObject({
    ids: z.array(z.string().min(1).max(200)).min(1, "send at least one id").max(REPLAY_IDS_MAX).optional(),
    all: z.literal(true, { error: "must be true" }).optional(),
  })
  .refine((body) => (body.ids === undefined) !== (body.all === undefined), {
    message: 'send either "ids" or "all": true',
    path: ["ids"],
  })
  .openapi("ReplayRequest", { description: '`{ "ids": ["<job id>", …] }` or `{ "all": true }`, not both.' });

export const ReplayResultSchema = z
  .object({
    replayed: count,
    skipped: z.array(z.object({ id: z.string(), reason: z.string().openapi({ example: "not_dead" }) })),
  })
  .openapi("ReplayResult");

export const PurgedSchema = z.object({ purged: count }).openapi("Purged");

export const MovedSchema = z.object({ id: JobId, state: z.enum(JOB_STATES) }).openapi("JobMoved");

export const HealthSchema = z.object({ status: z.literal("ok"), redisMs: z.number() }).openapi("Health");

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "https://offload.dev/problems/validation-failed" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ description: "Stable machine-readable code (see ERROR_CODES in shared/src/errors.ts)." }),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    state: z.enum(JOB_STATES).optional().openapi({ description: "On a 409: the job's current state." }),
  })
  .openapi("Problem");

/**
 * A problem+json response entry for a route's `responses`.
 * @example
 * responses: { 404: problem("Unknown job, or its record has expired") }
 */
export function problem(description: string) {
  return { description, content: { "application/problem+json": { schema: ProblemSchema } } } as const;
}
