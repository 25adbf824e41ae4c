/**
 * `POST /v1/jobs/{name}/batch`: many jobs of one type in one request and one Upstash round trip. Every item is
 * validated first; one bad item rejects the whole batch with each problem at its indexed path (`3.data.url`) and
 * nothing is enqueued. The enqueue script then adds all of them atomically: all or none.
 *
 * No Idempotency-Key here: one key cannot name N jobs, and a per-item conflict would leave a batch half
 * accepted. A batch re-sent by the Upstash client after a network error still adds nothing twice (the ids are
 * chosen before sending).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { enqueue, OffloadError, prepareJob, queueKeys, unknownJob, type JobDefinition, type Registry } from "../../../shared/src/index";
import type { AppEnv } from "../context";
import { assertDestinationsAllowed, destinationIssues } from "../destination";
import { bodyLimit } from "../middleware/body-limit";
import { requireJson } from "../middleware/content-type";
import { ItemOptionsSchema, toEnqueueOptions } from "../options";
import { BatchAcceptedSchema, problem } from "../schemas";
import { accepted } from "./accepted";

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
      body: {
        required: true,
        content: { "application/json": { schema: z.array(item).min(1, "send at least one item").max(BATCH_CEILING) } },
      },
    },
    responses: {
      202: { description: "All accepted, in request order", content: { "application/json": { schema: BatchAcceptedSchema } } },
      400: problem("At least one item is invalid; `errors` lists each with its indexed path. Nothing was enqueued."),
      401: problem("Missing or unknown API key"),
      413: problem("Body larger than MAX_BODY_BYTES"),
      415: problem("Body is not JSON"),
      429: problem("Rate limit reached; see Retry-After"),
      503: problem(
        "Queue storage unavailable; see Retry-After. Refused before Redis answered: when Redis was down nothing was enqueued, but when it only stalled the batch may still be applied once it resumes (all or nothing).",
      ),
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
      if (c.req.header("Idempotency-Key") !== undefined) {
        throw new OffloadError("validation_failed", "Idempotency-Key is not supported on batch requests", {
          issues: [{ path: "header.idempotency-key", message: "not supported on batch requests" }],
        });
      }
      const items = c.req.valid("json");
      if (items.length > config.maxBatchSize) {
        throw new OffloadError("validation_failed", `A batch holds at most ${config.maxBatchSize} items, got ${items.length}`, {
          issues: [{ path: "", message: `at most ${config.maxBatchSize} items` }],
        });
      }
      const policy = { allowPrivateNetworks: config.webhookAllowPrivateNetworks };
      const forbidden = items.flatMap((item, index) => destinationIssues(definition, item.data, policy, [index, "data"]));
      assertDestinationsAllowed(forbidden);

      const prepared = await Promise.all(
        items.map((item) => prepareJob(definition, item.data, toEnqueueOptions(item.options ?? {}))),
      );
      const results = await enqueue(storage.runner, queueKeys(definition.name, config.redisPrefix), prepared);
      return c.json({ jobs: results.map((result) => accepted(c, definition.name, result)) }, 202);
    });
  }

  app.post("/v1/jobs/:name/batch", (c) => {
    throw unknownJob(c.req.param("name"));
  });

  return app;
}
