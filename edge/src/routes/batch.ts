/**
 * `POST /v1/jobs/{name}/batch`: many jobs of one type in one request and one Upstash round trip. Every item is
 * validated first; one bad item rejects the whole batch with each problem at its indexed path (`3.data.url`) and
 * nothing is enqueued. The enqueue script then adds all of them atomically: all or none.
 *
 * `Idempotency-Key` names the whole batch (`prepareBatch`: item i gets `<key>#<i>`, all of them the fingerprint
 * of the whole body): the same key and body answer the original ids with `Idempotent-Replayed: true`; another body
 * is a 422 and writes nothing, since the script reads every key before writing. So a client that got a 503 or no
 * answer retries safely. A batch re-sent by the Upstash client after a network error adds nothing twice either
 * way (the ids are chosen before sending). Still one Upstash request per batch.
 */
import { NOT_REPLICATED_NOTE } from "../replicated-enqueue";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { enqueue, OffloadError, prepareBatch, queueKeys, unknownJob, type JobDefinition, type Registry } from "../../../shared/src/index";
import type { AppEnv } from "../context";
import { assertDestinationsAllowed, callbackIssues, destinationIssues } from "../destination";
import { bodyLimit } from "../middleware/body-limit";
import { requireJson } from "../middleware/content-type";
import { ItemOptionsSchema, toEnqueueOptions } from "../options";
import { BatchAcceptedSchema, problem } from "../schemas";
import { accepted } from "./accepted";
import { IdempotencyHeaderSchema } from "./jobs";

/** The single route's header (same length limit, 400 beyond it), described for a batch. */
const BatchIdempotencyHeaderSchema = z.object({
  "idempotency-key": IdempotencyHeaderSchema.shape["idempotency-key"].openapi({
    description:
      "Up to 255 characters, scoped to the job type, naming the whole batch. For 24 h the same key with the same body (every item's data and options, in order) returns the original jobs (202 with `Idempotent-Replayed: true`); with a different body, 422 and nothing is enqueued. Item i is stored under the key `<key>#<i>`, so it shares the single-job key space.",
  }),
});

/** Hard ceiling whatever MAX_BATCH_SIZE says (env.ts caps it at the same number). */
const BATCH_CEILING = 10_000;

function batchRoute(definition: JobDefinition) {
  const item = z.strictObject({ data: definition.schema, options: ItemOptionsSchema.optional() });
  return createRoute({
    method: "post",
    path: `/v1/jobs/${definition.name}/batch`,
    operationId: `enqueue_${definition.name.replaceAll("-", "_")}_batch`,
    tags: ["jobs"],
    summary: `Enqueue many ${definition.name} jobs at once`,
    description: `1 to MAX_BATCH_SIZE (default 1000) items, all validated before any is enqueued. ${definition.description}`,
    middleware: [requireJson(), bodyLimit({ maxBytes: (c) => c.var.config.maxBodyBytes })] as const,
    request: {
      headers: BatchIdempotencyHeaderSchema,
      body: {
        required: true,
        content: { "application/json": { schema: z.array(item).min(1, "send at least one item").max(BATCH_CEILING) } },
      },
    },
    responses: {
      202: {
        description: "All accepted, in request order; `Idempotent-Replayed: true` when the key answered an earlier batch's jobs.",
        content: { "application/json": { schema: BatchAcceptedSchema } },
      },
      400: problem("At least one item is invalid; `errors` lists each with its indexed path. Nothing was enqueued."),
      401: problem("Missing or unknown API key"),
      413: problem("Body larger than MAX_BODY_BYTES"),
      415: problem("Body is not JSON"),
      429: problem("Rate limit reached; see Retry-After"),
      503: problem(
        "Queue storage unavailable; see Retry-After. Refused before Redis answered: when Redis was down nothing was enqueued, but when it only stalled the batch may still be applied once it resumes (all or nothing). Send an Idempotency-Key and retry with the same key and body: the retry answers the batch's jobs, created once." + NOT_REPLICATED_NOTE,
      ),
      422: problem("Idempotency-Key already used with a different body (items, data or options); nothing was enqueued"),
    },
  });
}

/**
 * @example
 * app.route("/", batchRoutes(JOBS));
 */
export function batchRoutes(jobs: Registry): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  // Internal jobs (the built-in `event`) are created by Offload, never posted: they fall through to the 404.
  for (const definition of Object.values(jobs).filter((job) => !job.internal)) {
    app.openapi(batchRoute(definition), async (c) => {
      const { config, storage } = c.var;
      const idempotencyKey = c.req.valid("header")["idempotency-key"];
      const items = c.req.valid("json");
      if (items.length > config.maxBatchSize) {
        throw new OffloadError("validation_failed", `A batch holds at most ${config.maxBatchSize} items, got ${items.length}`, {
          issues: [{ path: "", message: `at most ${config.maxBatchSize} items` }],
        });
      }
      const policy = { allowPrivateNetworks: config.webhookAllowPrivateNetworks };
      const forbidden = items.flatMap((item, index) => [
        ...destinationIssues(definition, item.data, policy, [index, "data"]),
        ...callbackIssues(item.options?.callback, policy, [index, "options", "callback"]),
      ]);
      assertDestinationsAllowed(forbidden);

      const prepared = await prepareBatch(
        definition,
        items.map((item) => ({ data: item.data, options: toEnqueueOptions(item.options ?? {}) })),
        idempotencyKey,
      );
      const results = await enqueue(storage.runner, queueKeys(definition.name, config.redisPrefix), prepared);
      const conflict = results.find((result) => result.outcome === "conflict");
      if (conflict) {
        throw new OffloadError("idempotency_conflict", `Idempotency-Key was already used for a batch with a different body (job ${conflict.id}); nothing was enqueued`);
      }
      // Ids other than the ones we prepared: the key answered an earlier batch (as on the single route, a batch
      // re-sent by the Upstash client reports our own ids, which to the client are simply the jobs it asked for).
      if (idempotencyKey !== undefined && results.some((result, index) => result.localId !== prepared[index]!.localId)) {
        c.header("Idempotent-Replayed", "true");
      }
      return c.json({ jobs: results.map((result) => accepted(c, definition.name, result)) }, 202);
    });
  }

  app.post("/v1/jobs/:name/batch", (c) => {
    throw unknownJob(c.req.param("name"));
  });

  return app;
}
