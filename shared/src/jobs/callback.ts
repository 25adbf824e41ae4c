/**
 * The built-in `callback` job: one completion callback on its way to its receiver. Created by a worker from an
 * entry the settle scripts left in the finished job's `{q}:callbacks` (worker/src/callback-mover.ts), under a
 * local id derived from the job id and the outcome (shared/src/callbacks.ts), so it exists once per job and
 * outcome however often the entry is moved. Delivered by worker/src/handlers/callback.ts with the webhook job's
 * code (signing, SSRF guard at connect time, 408/429/5xx retried); its retries, backoff and dead letters are its
 * own: a failing receiver never touches the finished job. Internal: never `POST /v1/jobs/callback`.
 */
import { z } from "zod";
import { CALLBACK_JOB_NAME, CALLBACK_OUTCOMES } from "../callbacks";
import { defineJob } from "../job-definition";
import { destinationHost, webhookJob } from "./webhook";

export const callbackJob = defineJob({
  name: CALLBACK_JOB_NAME,
  description: "POSTs a finished job's status to its callback URL, signed per Standard Webhooks (internal: the callback= option).",
  schema: z.object({
    // The webhook job's URL rule, so both kinds of delivery accept exactly the same destinations.
    url: webhookJob.schema.shape.url,
    outcome: z.enum(CALLBACK_OUTCOMES),
    /** The job's status when it finished, as a producer key reads it from GET /v1/jobs/{id}: the body sent. */
    status: z.looseObject({ id: z.string(), state: z.string() }),
  }),
  maxAttempts: 8,
  backoff: { baseMs: 2_000, maxMs: 3_600_000 },
  timeoutMs: 15_000,
  internal: true,
  // As the webhook job: one group per receiving host, so one receiver's 429 pauses only its own callbacks.
  group: (data) => destinationHost(data.url),
});
