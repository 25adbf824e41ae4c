/**
 * `POST /v1/events/{name}`: publish an event (one route per event, so each schema validates its route and
 * documents itself). The event is stored as ONE job of the built-in `event` queue — one Upstash request, all its
 * keys in one slot — and a worker expands it into the targets. The 202 already lists every target's id: they
 * are derived from the event's local id (shared/src/event-ids.ts), so no one has to wait for the expansion to
 * know them. A target is 404 on `GET /v1/jobs/{id}` until the expansion ran (normally milliseconds).
 *
 * Re-sends: `Idempotency-Key` (the same key with the same body replays; another body is 422), or `?id=`, an
 * event id the client chooses (e.g. the order id): the event's local id is derived from it, so a re-send finds
 * the same job; a different body with the same id is 422 too. Either way the replay answers the same ids with
 * `Idempotent-Replayed: true` and creates nothing.
 */
import { NOT_REPLICATED_NOTE } from "../replicated-enqueue";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  clientEventLocalId,
  enqueue,
  EVENT_JOB_NAME,
  eventJob,
  jobId,
  OffloadError,
  outcomeError,
  prepareJob,
  queueKeys,
  targetLocalId,
  unknownEvent,
  type EventDefinition,
  type EventRegistry,
} from "../../../shared/src/index";
import type { AppEnv } from "../context";
import { bodyLimit } from "../middleware/body-limit";
import { requireJson } from "../middleware/content-type";
import { JobId, problem } from "../schemas";
import { statusPath } from "./accepted";
import { IdempotencyHeaderSchema } from "./jobs";

export const EVENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const EventQuerySchema = z.object({
  id: z
    .string()
    .regex(EVENT_ID, "1–128 letters, digits and . _ : -")
    .optional()
    .openapi({
      description:
        "An event id the client chooses (e.g. the order id), instead of an Idempotency-Key: a re-send with the same id returns the same ids (`Idempotent-Replayed: true`); another body with the same id is 422. Kept as long as the event's record (24 h).",
      example: "order-1234",
    }),
});

export const EventAcceptedSchema = z
  .object({
    id: JobId.openapi({ description: "The event's own job (`event.<local id>`): its status is the expansion's.", example: "event.mfz3k2x9q1a8b7c6" }),
    event: z.string().openapi({ example: "order-paid" }),
    jobs: z
      .array(z.object({ name: z.string().openapi({ example: "webhook" }), id: JobId }))
      .openapi({ description: "Every job the event creates, in fan-out order. Each is 404 until the expansion ran." }),
  })
  .openapi("EventAccepted");

function publishRoute(definition: EventDefinition) {
  return createRoute({
    method: "post",
    path: `/v1/events/${definition.name}`,
    operationId: `publish_${definition.name.replaceAll("-", "_")}`,
    tags: ["events"],
    summary: `Publish a ${definition.name} event (fans out to ${Object.keys(definition.fanOut).join(", ")})`,
    description: definition.description,
    middleware: [requireJson(), bodyLimit({ maxBytes: (c) => c.var.config.maxBodyBytes })] as const,
    request: {
      query: EventQuerySchema,
      headers: IdempotencyHeaderSchema,
      body: { required: true, content: { "application/json": { schema: definition.schema } } },
    },
    responses: {
      202: {
        description: "Accepted. `Location` is the event job's status URL; `Idempotent-Replayed: true` marks a re-send.",
        content: { "application/json": { schema: EventAcceptedSchema } },
      },
      400: problem("Invalid body, `id` or header (or both `id` and Idempotency-Key); `errors` lists each with its path"),
      401: problem("Missing or unknown API key"),
      413: problem("Body larger than MAX_BODY_BYTES"),
      415: problem("Body is not JSON"),
      422: problem("Idempotency-Key or `id` already used with a different body"),
      429: problem("Rate limit reached; see Retry-After"),
      503: problem(`Queue storage unavailable; see Retry-After.${NOT_REPLICATED_NOTE}`),
    },
  });
}

/**
 * @example
 * app.route("/", eventRoutes(EVENTS));
 */
export function eventRoutes(events: EventRegistry): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  for (const definition of Object.values(events)) {
    app.openapi(publishRoute(definition), async (c) => {
      const data = c.req.valid("json");
      const idempotencyKey = c.req.valid("header")["idempotency-key"];
      const clientId = c.req.valid("query").id;
      if (idempotencyKey !== undefined && clientId !== undefined) {
        throw new OffloadError("validation_failed", "Use either Idempotency-Key or ?id=, not both", {
          issues: [{ path: "query.id", message: "not allowed together with Idempotency-Key" }],
        });
      }
      // Keys of the one `event` queue, scoped per event so two events may use the same key or id.
      const scopedKey =
        idempotencyKey !== undefined ? `key:${definition.name}:${idempotencyKey}` : clientId !== undefined ? `id:${definition.name}:${clientId}` : undefined;
      const job = await prepareJob(eventJob, { event: definition.name, data }, { idempotencyKey: scopedKey });
      if (clientId !== undefined) job.localId = await clientEventLocalId(definition.name, clientId);

      const [result] = await enqueue(c.var.storage.runner, queueKeys(EVENT_JOB_NAME, c.var.config.redisPrefix), [job]);
      if (!result) throw new Error("enqueue script returned no result");
      if (result.outcome === "conflict") throw outcomeError("enqueue", { outcome: "conflict" }, result.id);
      // Without a key or id, "existing" can only be the REST client's re-send of this very request: not a replay.
      if (result.outcome === "existing" && scopedKey !== undefined) c.header("Idempotent-Replayed", "true");

      const jobs = await Promise.all(
        Object.keys(definition.fanOut).map(async (name) => ({ name, id: jobId(name, await targetLocalId(result.localId, name)) })),
      );
      c.header("Location", statusPath(result.id));
      return c.json({ id: result.id, event: definition.name, jobs }, 202);
    });
  }

  // Any other name: after the per-event routes, so it only sees names the registry does not know.
  app.post("/v1/events/:name", (c) => {
    throw unknownEvent(c.req.param("name"));
  });
  return app;
}
