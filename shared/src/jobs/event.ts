/**
 * The built-in `event` job: one published event, stored as ONE job so that everything the edge writes for it
 * lives in one hash slot (one Upstash request, cluster-safe). A worker serving the `event` queue expands it into
 * the event's target jobs (worker/src/handlers/event.ts), each with a local id derived from this job's local id
 * (shared/src/event-ids.ts), so a retried expansion re-creates nothing. Internal: producers publish through
 * `POST /v1/events/{name}`, never `POST /v1/jobs/event`.
 */
import { z } from "zod";
import { defineJob } from "../job-definition";

export const EVENT_JOB_NAME = "event";

export const eventJob = defineJob({
  name: EVENT_JOB_NAME,
  description: "A published event, expanded by a worker into its fan-out targets (internal: POST /v1/events/{name}).",
  // The event's own schema is checked at the edge and again by the expanding handler; here only the envelope.
  schema: z.object({ event: z.string(), data: z.unknown() }),
  // An expansion is a handful of idempotent enqueues: retrying after a Redis error is always safe.
  maxAttempts: 10,
  backoff: { baseMs: 500, maxMs: 60_000 },
  timeoutMs: 30_000,
  internal: true,
});
