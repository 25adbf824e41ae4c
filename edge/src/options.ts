/**
 * Per-job enqueue options, as query parameters (`POST /v1/jobs/{name}?delay=5m`) and as each batch item's
 * `options` object, turned into the shared `EnqueueOptions`. One vocabulary for both, so a batch item reads like
 * a single request: `{ "data": {...}, "options": { "delay": "5m" } }`.
 *
 * Unknown options are rejected (400), not ignored: a misspelt `dealy=1h` would otherwise run the job now.
 */
import { z } from "@hono/zod-openapi";
import { CALLBACK_OUTCOMES, GROUP_KEY, GROUP_KEY_HINT, JOBS, MAX_ATTEMPTS_LIMIT, parseDuration, PRIORITY_MAX, PRIORITY_MIN, type CallbackOutcome, type EnqueueOptions } from "../../shared/src/index";

/** Far enough for any schedule we mean to keep; beyond it `now + delay` stops being a sane timestamp. */
export const MAX_DELAY_MS = 365 * 86_400_000;

const DURATION_HINT = 'milliseconds ("1500") or a duration ("30s", "5m", "2h", "1d")';

const durationText = (min: number) =>
  z
    .string()
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({ code: "custom", message: `expected ${DURATION_HINT}` });
        return z.NEVER;
      }
      if (ms < min || ms > MAX_DELAY_MS) {
        ctx.addIssue({ code: "custom", message: `must be between ${min} ms and 365 days` });
        return z.NEVER;
      }
      return ms;
    });

const durationValue = (min: number) => z.union([z.number().int().min(min).max(MAX_DELAY_MS), durationText(min)]);

const runAt = z.iso
  .datetime({ offset: true, error: "expected an ISO 8601 date-time with a time zone, e.g. 2030-01-01T09:00:00Z" })
  .transform((text) => Date.parse(text));

const maxAttemptsText = z
  .string()
  .regex(/^\d+$/, `expected a whole number from 1 to ${MAX_ATTEMPTS_LIMIT}`)
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_ATTEMPTS_LIMIT));

const PRIORITY_HINT = `a whole number from ${PRIORITY_MIN} (runs first) to ${PRIORITY_MAX} (runs last)`;
const priorityValue = z.number().int().min(PRIORITY_MIN).max(PRIORITY_MAX);
const priorityText = z.string().regex(/^\d+$/, `expected ${PRIORITY_HINT}`).transform(Number).pipe(priorityValue);

const notBoth = {
  check: (options: { delay?: number; runAt?: number }) => options.delay === undefined || options.runAt === undefined,
  params: { message: "use either delay or runAt, not both", path: ["runAt"] },
};

/** `debounce` says when the job of a `dedupe` key runs; alone it would mean nothing. */
const debounceNeedsDedupe = {
  check: (options: { dedupe?: string; debounce?: number }) => options.debounce === undefined || options.dedupe !== undefined,
  params: { message: "debounce needs a dedupe key (dedupe=<key>)", path: ["debounce"] },
};

const dedupeKey = z.string().min(1).max(255);
const groupKey = z.string().regex(GROUP_KEY, `expected ${GROUP_KEY_HINT}`);
const GROUP_HINT =
  "The job's group (a tenant, a destination): the jobs of a job type are started round robin between groups, so one group's backlog never delays another group's jobs by more than one job per active group, and the job type's `groupLimits` (concurrency, rate) apply to each group on its own. Wins over the group the job definition derives from the payload. A RateLimitedError or a webhook's 429 in a job of a group pauses that group only.";
const DEDUPE_HINT =
  "While a job enqueued with this key (up to 255 characters, per job type) is waiting or delayed, another enqueue with it returns that job (202 with `Idempotent-Replayed: true`) whatever its payload; once it has started, a new job is created.";
const DEBOUNCE_HINT =
  "With dedupe: the job runs this long after the LAST enqueue with the key, with the last payload (each enqueue replaces the payload and pushes the run time back), unless it has already started.";

/**
 * `callback=<url>`: the webhook job's URL rule (http or https, at most 2,048 characters); the SSRF policy, which
 * depends on deployment config, is applied by the route (destination.ts), and again by the worker at send time.
 */
const callbackUrl = JOBS.webhook.schema.shape.url;
const CALLBACK_HINT =
  "When the job ends with an outcome in `callbackOn`, its status (the JSON GET /v1/jobs/{id} returns to a producer key) is POSTed here, signed like the webhook job (Standard Webhooks headers with WEBHOOK_SECRET; `webhook-id` is `<job id>:<outcome>`, the same for every retry), retried on 408/429/5xx with its own backoff and dead-lettered in the `callback` queue; the job's own outcome never depends on it. http(s) only; private networks are refused unless WEBHOOK_ALLOW_PRIVATE_NETWORKS. Default: the job definition's callback, if any.";
const CALLBACK_ON_HINT = "Which outcomes send the callback: `completed`, `dead` or both (comma-separated). Default both. Needs `callback`.";
const OUTCOMES_HINT = `expected ${CALLBACK_OUTCOMES.join(", ")} or both, comma-separated`;

/** `completed,dead` → the list; an empty item, an unknown one or none at all is one issue at the option's path. */
const callbackOnText = z.string().transform((text, ctx): CallbackOutcome[] => {
  const items = text.split(",").map((item) => item.trim());
  if (!items.every((item): item is CallbackOutcome => (CALLBACK_OUTCOMES as readonly string[]).includes(item))) {
    ctx.addIssue({ code: "custom", message: OUTCOMES_HINT });
    return z.NEVER;
  }
  return [...new Set(items)];
});
const callbackOnValue = z.union([z.array(z.enum(CALLBACK_OUTCOMES, { error: OUTCOMES_HINT })).min(1, OUTCOMES_HINT), callbackOnText]);

/** `callbackOn` narrows a callback; alone it would mean nothing. */
const callbackOnNeedsCallback = {
  check: (options: { callback?: string; callbackOn?: unknown }) => options.callbackOn === undefined || options.callback !== undefined,
  params: { message: "callbackOn needs a callback URL (callback=<url>)", path: ["callbackOn"] },
};

/** Query parameters of `POST /v1/jobs/{name}`. */
export const EnqueueQuerySchema = z
  .strictObject({
    delay: durationText(0)
      .optional()
      .openapi({ description: `Run no earlier than this long from now: ${DURATION_HINT}.`, example: "30s" }),
    runAt: runAt
      .optional()
      .openapi({ description: "Run no earlier than this time (ISO 8601). Not together with delay.", example: "2030-01-01T09:00:00Z" }),
    maxAttempts: maxAttemptsText
      .optional()
      .openapi({ description: `Total runs before dead-lettering, 1–${MAX_ATTEMPTS_LIMIT}. Default: the job's.`, example: "3" }),
    backoff: durationText(1)
      .optional()
      .openapi({ description: `Base retry delay (exponential, full jitter): ${DURATION_HINT}.`, example: "2s" }),
    timeout: durationText(1)
      .optional()
      .openapi({ description: `Per-run timeout: ${DURATION_HINT}.`, example: "15s" }),
    dedupe: dedupeKey.optional().openapi({ description: DEDUPE_HINT, example: "sync-user-42" }),
    debounce: durationText(1).optional().openapi({ description: `${DEBOUNCE_HINT} ${DURATION_HINT}.`, example: "2s" }),
    callback: callbackUrl.optional().openapi({ description: CALLBACK_HINT, example: "https://api.example.com/offload/done" }),
    callbackOn: callbackOnText.optional().openapi({ description: CALLBACK_ON_HINT, example: "dead" }),
    priority: priorityText.optional().openapi({
      description: `Priority, ${PRIORITY_HINT}: within the job type's queue a worker always starts the lowest number waiting, first in first out within one priority. Default: the job type's (5 unless its definition says otherwise).`,
      example: "2",
    }),
    group: groupKey.optional().openapi({ description: `${GROUP_HINT} ${GROUP_KEY_HINT}.`, example: "tenant-42" }),
  })
  .refine(notBoth.check, notBoth.params)
  .refine(debounceNeedsDedupe.check, debounceNeedsDedupe.params)
  .refine(callbackOnNeedsCallback.check, callbackOnNeedsCallback.params);

/** A batch item's `options`: the same names; durations as a number of ms or a duration string. */
export const ItemOptionsSchema = z
  .strictObject({
    delay: durationValue(0).optional(),
    runAt: runAt.optional(),
    maxAttempts: z.number().int().min(1).max(MAX_ATTEMPTS_LIMIT).optional(),
    backoff: durationValue(1).optional(),
    timeout: durationValue(1).optional(),
    dedupe: dedupeKey.optional(),
    debounce: durationValue(1).optional(),
    callback: callbackUrl.optional().openapi({ description: CALLBACK_HINT }),
    callbackOn: callbackOnValue
      .optional()
      .openapi({ description: `${CALLBACK_ON_HINT} As an array (["dead"]) or the query's comma-separated text.` }),
    priority: priorityValue.optional(),
    group: groupKey.optional().openapi({ description: GROUP_HINT }),
  })
  .refine(notBoth.check, notBoth.params)
  .refine(debounceNeedsDedupe.check, debounceNeedsDedupe.params)
  .refine(callbackOnNeedsCallback.check, callbackOnNeedsCallback.params)
  .openapi("JobOptions", { description: "Per-job options; the same as the single-job query parameters." });

export type ParsedOptions = {
  delay?: number;
  runAt?: number;
  maxAttempts?: number;
  backoff?: number;
  timeout?: number;
  dedupe?: string;
  debounce?: number;
  callback?: string;
  callbackOn?: CallbackOutcome[];
  priority?: number;
  group?: string;
};

/**
 * @example
 * toEnqueueOptions({ delay: 30_000, maxAttempts: 3 }) // { delayMs: 30000, maxAttempts: 3 }
 */
export function toEnqueueOptions(parsed: ParsedOptions, idempotencyKey?: string): EnqueueOptions {
  const options: EnqueueOptions = {};
  if (parsed.delay !== undefined) options.delayMs = parsed.delay;
  if (parsed.runAt !== undefined) options.runAt = parsed.runAt;
  if (parsed.maxAttempts !== undefined) options.maxAttempts = parsed.maxAttempts;
  if (parsed.backoff !== undefined) options.backoffMs = parsed.backoff;
  if (parsed.timeout !== undefined) options.timeoutMs = parsed.timeout;
  if (parsed.dedupe !== undefined) options.dedupeKey = parsed.dedupe;
  if (parsed.debounce !== undefined) options.debounceMs = parsed.debounce;
  if (parsed.callback !== undefined) options.callback = parsed.callback;
  if (parsed.callbackOn !== undefined) options.callbackOn = parsed.callbackOn;
  if (parsed.priority !== undefined) options.priority = parsed.priority;
  if (parsed.group !== undefined) options.group = parsed.group;
  if (idempotencyKey !== undefined) options.idempotencyKey = idempotencyKey;
  return options;
}
