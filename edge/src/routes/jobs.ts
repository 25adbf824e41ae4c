/**
 * The job resource: `POST /v1/jobs/{name}` (one route per job type, so each payload schema validates its route
 * and documents itself in the OpenAPI document), `GET /v1/jobs/{id}` and `DELETE /v1/jobs/{id}`.
 *
 * An accepted job costs exactly one Upstash request: the id is chosen here, and the enqueue script creates the
 * record, queues it and applies the Idempotency-Key in one atomic call.
 */
import { NOT_REPLICATED_NOTE } from "../replicated-enqueue";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  cancelJob,
  enqueue,
  findJob,
  getStatus,
  jobNotFound,
  outcomeError,
  prepareJob,
  queueKeys,
  unknownJob,
  type JobDefinition,
  type Registry,
} from "../../../shared/src/index";
import type { AppEnv } from "../context";
import { assertDestinationsAllowed, callbackIssues, destinationIssues } from "../destination";
import { bodyLimit } from "../middleware/body-limit";
import { requireJson } from "../middleware/content-type";
import { EnqueueQuerySchema, toEnqueueOptions } from "../options";
import { CancelledSchema, JobAcceptedSchema, JobIdParamSchema, JobStatusSchema, problem } from "../schemas";
import { locateJob } from "../locate";
import { statusFor } from "../views";
import { accepted, statusPath } from "./accepted";

export const IDEMPOTENCY_KEY_MAX = 255;

export const IdempotencyHeaderSchema = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(IDEMPOTENCY_KEY_MAX)
    .optional()
    .openapi({
      description:
        "Up to 255 characters, scoped to the job type. For 24 h the same key with the same payload returns the original job (202 with `Idempotent-Replayed: true`); with a different payload, 422. Payloads compare as the validated JSON.",
    }),
});

const errors = {
  400: problem("Invalid payload, query option or header; `errors` lists each with its path"),
  401: problem("Missing or unknown API key"),
  413: problem("Body larger than MAX_BODY_BYTES"),
  415: problem("Body is not JSON"),
  429: problem("Rate limit reached; see Retry-After"),
  503: problem("Queue storage unavailable; see Retry-After"),
} as const;

function enqueueRoute(definition: JobDefinition) {
  return createRoute({
    method: "post",
    path: `/v1/jobs/${definition.name}`,
    operationId: `enqueue_${definition.name.replaceAll("-", "_")}`,
    tags: ["jobs"],
    summary: `Enqueue a ${definition.name} job`,
    description: definition.description,
    middleware: [requireJson(), bodyLimit({ maxBytes: (c) => c.var.config.maxBodyBytes })] as const,
    request: {
      query: EnqueueQuerySchema,
      headers: IdempotencyHeaderSchema,
      body: { required: true, content: { "application/json": { schema: definition.schema } } },
    },
    responses: {
      202: {
        description: "Accepted. `Location` is the status URL; `Idempotent-Replayed: true` marks a replayed key.",
        content: { "application/json": { schema: JobAcceptedSchema } },
      },
      ...errors,
      503: problem(`Queue storage unavailable; see Retry-After.${NOT_REPLICATED_NOTE}`),
      422: problem("Idempotency-Key already used with a different payload"),
    },
  });
}

const getRoute = createRoute({
  method: "get",
  path: "/v1/jobs/{id}",
  operationId: "getJob",
  tags: ["jobs"],
  summary: "A job's status",
  description: "Producer keys see a failed attempt's `error.message` and `error.reason` only; admin keys also see `stack` and `raw`.",
  request: { params: JobIdParamSchema },
  responses: {
    200: { description: "The job's record", content: { "application/json": { schema: JobStatusSchema } } },
    401: errors[401],
    404: problem("Unknown job, or its record has expired"),
    503: errors[503],
  },
});

const cancelRoute = createRoute({
  method: "delete",
  path: "/v1/jobs/{id}",
  operationId: "cancelJob",
  tags: ["jobs"],
  summary: "Cancel a job that has not started",
  request: { params: JobIdParamSchema },
  responses: {
    200: { description: "Cancelled (it was waiting or delayed)", content: { "application/json": { schema: CancelledSchema } } },
    401: errors[401],
    404: problem("Unknown job, or its record has expired"),
    409: problem("The job is active or finished"),
    503: errors[503],
  },
});

/**
 * @example
 * app.route("/", jobRoutes(JOBS));
 */
export function jobRoutes(jobs: Registry): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  // Internal jobs (the built-in `event`) are created by Offload, never posted: they fall through to the 404.
  for (const definition of Object.values(jobs).filter((job) => !job.internal)) {
    app.openapi(enqueueRoute(definition), async (c) => {
      const data = c.req.valid("json");
      const idempotencyKey = c.req.valid("header")["idempotency-key"];
      const { config, storage } = c.var;
      const policy = { allowPrivateNetworks: config.webhookAllowPrivateNetworks };
      const forbidden = [...destinationIssues(definition, data, policy), ...callbackIssues(c.req.valid("query").callback, policy, ["query", "callback"])];
      assertDestinationsAllowed(forbidden);

      const job = await prepareJob(definition, data, toEnqueueOptions(c.req.valid("query"), idempotencyKey));
      const [result] = await enqueue(storage.runner, queueKeys(definition.name, config.redisPrefix), [job]);
      if (!result) throw new Error("enqueue script returned no result");
      if (result.outcome === "conflict") throw outcomeError("enqueue", { outcome: "conflict" }, result.id);
      // Another job id than the one we prepared: the key pointed at an earlier job. (A re-sent request after a
      // network error reports our own id as "existing"; to the client that is simply the job it asked for.)
      // Likewise for a dedupe key held by a job that has not started.
      if ((idempotencyKey !== undefined || job.dedupeKey) && result.localId !== job.localId) c.header("Idempotent-Replayed", "true");
      c.header("Location", statusPath(result.id));
      return c.json(accepted(c, definition.name, result), 202);
    });
  }

  // Any other name: after the per-job routes, so it only sees names the registry does not know.
  app.post("/v1/jobs/:name", (c) => {
    throw unknownJob(c.req.param("name"));
  });

  app.openapi(getRoute, async (c) => {
    const { keys, localId } = locateJob(jobs, c.req.valid("param").id, c.var.config.redisPrefix);
    const status = await getStatus(c.var.storage.runner, keys, localId, findJob(jobs, keys.queue)?.priority);
    if (!status) throw jobNotFound(c.req.valid("param").id);
    return c.json(statusFor(c.var.principal.role, status), 200);
  });

  app.openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { keys, localId } = locateJob(jobs, id, c.var.config.redisPrefix);
    const outcome = await cancelJob(c.var.storage.runner, keys, localId);
    if (outcome.outcome !== "cancelled") throw outcomeError("cancel", outcome, id);
    return c.json({ id, state: "cancelled" as const, previousState: outcome.previousState as "waiting" | "delayed" }, 200);
  });

  return app;
}
