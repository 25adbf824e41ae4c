/**
 * The queue admin API (admin keys only; producer keys get 403): a queue's detail with its per-minute history
 * and flow-control limits, its jobs by state with cursors, pause and resume, the limits override, dead-letter
 * replay and purge. Each handler is thin: find the
 * queue (404 for a name the registry lacks), call the operation in shared/src/ops/admin.ts, answer what it
 * returns. Bulk operations run in bounded chunks inside those operations, so a request over 100,000 dead letters
 * holds Redis a few milliseconds per script call, not for the whole request.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  effectiveLimits,
  findJob,
  getQueueDetail,
  HISTORY_MINUTES,
  JOB_STATES,
  LIST_LIMIT_MAX,
  listJobs,
  OffloadError,
  purgeDead,
  parseRate,
  replayDead,
  setLimits,
  setPaused,
  type Registry,
} from "../../../shared/src/index";
import type { AppEnv } from "../context";
import { locateQueue } from "../locate";
import { requireAdmin } from "../middleware/auth";
import { bodyLimit } from "../middleware/body-limit";
import { requireJson } from "../middleware/content-type";
import { isoTimeQuery, wholeQuery } from "../query";
import {
  JobPageSchema,
  LimitsBodySchema,
  PausedSchema,
  problem,
  PurgedSchema,
  QueueDetailSchema,
  QueueLimitsSchema,
  QueueNameParamSchema,
  ReplayBodySchema,
  ReplayResultSchema,
} from "../schemas";

const common = {
  401: problem("Missing or unknown API key"),
  403: problem("Not an admin key"),
  404: problem("Unknown queue (no job type of that name)"),
  503: problem("Queue storage unavailable; see Retry-After"),
} as const;

const detailRoute = createRoute({
  tags: ["admin"],
  middleware: [requireAdmin()] as const,
  method: "get",
  path: "/v1/admin/queues/{name}",
  operationId: "getQueue",
  summary: "A queue's counts by state, pause flag, workers and per-minute history (admin key)",
  request: {
    params: QueueNameParamSchema,
    query: z.strictObject({
      minutes: wholeQuery(HISTORY_MINUTES, 1, HISTORY_MINUTES).openapi({
        description: `History buckets to return, ending with the current minute: 1 to ${HISTORY_MINUTES}. Default ${HISTORY_MINUTES} (24 h).`,
      }),
    }),
  },
  responses: {
    200: { description: "The queue now, and its last minutes", content: { "application/json": { schema: QueueDetailSchema } } },
    400: problem("Bad query parameter"),
    ...common,
  },
});

const jobsRoute = createRoute({
  tags: ["admin"],
  middleware: [requireAdmin()] as const,
  method: "get",
  path: "/v1/admin/queues/{name}/jobs",
  operationId: "listQueueJobs",
  summary: "A page of a queue's jobs in one state (admin key)",
  description:
    "Finished states newest first; waiting and delayed in run order. Each page costs O(page), however many jobs wait. A page may hold fewer than `limit` jobs; only `nextCursor: null` means the end.",
  request: {
    params: QueueNameParamSchema,
    query: z.strictObject({
      state: z.enum(JOB_STATES, { error: `must be one of ${JOB_STATES.join(", ")}` }).openapi({ description: "Required." }),
      limit: wholeQuery(50, 1, LIST_LIMIT_MAX).openapi({ description: `Page size, 1 to ${LIST_LIMIT_MAX}. Default 50.` }),
      cursor: z.string().min(1).max(1_000).optional().openapi({ description: "`nextCursor` of the previous page, for the same state." }),
    }),
  },
  responses: {
    200: { description: "A page of jobs (stacks included)", content: { "application/json": { schema: JobPageSchema } } },
    400: problem("Missing or unknown state, bad limit, or a cursor this queue and state did not issue"),
    ...common,
  },
});

const pauseRoute = (paused: boolean) =>
  createRoute({
    tags: ["admin"],
    middleware: [requireAdmin()] as const,
    method: "post",
    path: `/v1/admin/queues/{name}/${paused ? "pause" : "resume"}`,
    operationId: paused ? "pauseQueue" : "resumeQueue",
    summary: paused
      ? "Pause a queue: enqueues still answer 202, no worker starts a job, running jobs finish (admin key)"
      : "Resume a queue: blocked workers wake at once (admin key)",
    request: { params: QueueNameParamSchema },
    responses: {
      200: { description: paused ? "Paused (idempotent)" : "Resumed (idempotent)", content: { "application/json": { schema: PausedSchema } } },
      ...common,
    },
  });

const limitsRoute = createRoute({
  tags: ["admin"],
  method: "put",
  path: "/v1/admin/queues/{name}/limits",
  operationId: "setQueueLimits",
  summary: "Override a queue's rate limit and concurrency at runtime, fleet-wide, or clear the override (admin key)",
  description:
    "Workers apply it from their next claim, with no restart: the limits are enforced inside the claim script, across every worker process. " +
    "`null` clears a field's override and the job definition's limit applies again; a field left out stays as it is.",
  middleware: [requireAdmin(), requireJson(), bodyLimit({ maxBytes: (c) => c.var.config.maxBodyBytes })] as const,
  request: {
    params: QueueNameParamSchema,
    body: { required: true, content: { "application/json": { schema: LimitsBodySchema } } },
  },
  responses: {
    200: { description: "The limits in effect now", content: { "application/json": { schema: QueueLimitsSchema } } },
    400: problem("Malformed body; `errors` lists each problem with its path"),
    413: problem("Body larger than MAX_BODY_BYTES"),
    415: problem("Body is not JSON"),
    ...common,
  },
});

const replayRoute = createRoute({
  tags: ["admin"],
  method: "post",
  path: "/v1/admin/queues/{name}/dead/replay",
  operationId: "replayDeadJobs",
  summary: "Put dead letters back to waiting with the same id, attempts reset, earlier errors kept (admin key)",
  description: "Replaying a job twice enqueues it once: the second time it is not dead, and is skipped with a reason.",
  middleware: [requireAdmin(), requireJson(), bodyLimit({ maxBytes: (c) => c.var.config.maxBodyBytes })] as const,
  request: {
    params: QueueNameParamSchema,
    body: { required: true, content: { "application/json": { schema: ReplayBodySchema } } },
  },
  responses: {
    200: { description: "How many were replayed, and which were skipped and why", content: { "application/json": { schema: ReplayResultSchema } } },
    400: problem("Malformed body; `errors` lists each problem with its path"),
    413: problem("Body larger than MAX_BODY_BYTES"),
    415: problem("Body is not JSON"),
    ...common,
  },
});

const purgeRoute = createRoute({
  tags: ["admin"],
  middleware: [requireAdmin()] as const,
  method: "delete",
  path: "/v1/admin/queues/{name}/dead",
  operationId: "purgeDeadJobs",
  summary: "Delete dead letters, all or those that died before a time (admin key)",
  request: {
    params: QueueNameParamSchema,
    query: z.strictObject({
      before: isoTimeQuery.optional().openapi({ description: "Only those dead before this ISO 8601 time.", example: "2030-01-01T00:00:00Z" }),
    }),
  },
  responses: {
    200: { description: "How many were deleted", content: { "application/json": { schema: PurgedSchema } } },
    400: problem("Bad `before`"),
    ...common,
  },
});

/** listJobs reports a bad cursor at `cursor`; over HTTP it came from the query string. */
function asQueryIssue(error: unknown): unknown {
  if (!(error instanceof OffloadError) || error.code !== "validation_failed") return error;
  const issues = (error.details.issues ?? []).map((issue) => ({ ...issue, path: issue.path ? `query.${issue.path}` : "query" }));
  return new OffloadError("validation_failed", error.message, { issues, cause: error });
}

/**
 * @example
 * app.route("/", adminQueueRoutes(JOBS));
 */
export function adminQueueRoutes(jobs: Registry): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const keysOf = (name: string, prefix: string) => locateQueue(jobs, name, prefix);

  app.openapi(detailRoute, async (c) => {
    const keys = keysOf(c.req.valid("param").name, c.var.config.redisPrefix);
    c.header("Cache-Control", "no-store");
    const { flow, ...detail } = await getQueueDetail(c.var.storage.runner, keys, { minutes: c.req.valid("query").minutes });
    return c.json({ ...detail, limits: effectiveLimits(findJob(jobs, keys.queue)!, flow) }, 200);
  });

  app.openapi(limitsRoute, async (c) => {
    const keys = keysOf(c.req.valid("param").name, c.var.config.redisPrefix);
    const body = c.req.valid("json");
    // The schema checked the text already; parse it into the stored form.
    const rate = typeof body.rate === "string" ? (parseRate(body.rate) as Exclude<ReturnType<typeof parseRate>, string>) : body.rate;
    return c.json(await setLimits(c.var.storage.runner, keys, findJob(jobs, keys.queue)!, { rate, concurrency: body.concurrency }), 200);
  });

  app.openapi(jobsRoute, async (c) => {
    const keys = keysOf(c.req.valid("param").name, c.var.config.redisPrefix);
    const { state, limit, cursor } = c.req.valid("query");
    const page = await listJobs(c.var.storage.runner, keys, { state, limit, ...(cursor === undefined ? {} : { cursor }) }).catch(
      (error: unknown) => Promise.reject(asQueryIssue(error)),
    );
    c.header("Cache-Control", "no-store");
    return c.json(page, 200);
  });

  for (const paused of [true, false]) {
    app.openapi(pauseRoute(paused), async (c) => {
      const keys = keysOf(c.req.valid("param").name, c.var.config.redisPrefix);
      return c.json(await setPaused(c.var.storage.runner, keys, paused), 200);
    });
  }

  app.openapi(replayRoute, async (c) => {
    const keys = keysOf(c.req.valid("param").name, c.var.config.redisPrefix);
    const body = c.req.valid("json");
    const what = body.all ? { all: true as const } : { ids: body.ids ?? [] };
    return c.json(await replayDead(c.var.storage.runner, keys, what), 200);
  });

  app.openapi(purgeRoute, async (c) => {
    const keys = keysOf(c.req.valid("param").name, c.var.config.redisPrefix);
    const { before } = c.req.valid("query");
    return c.json(await purgeDead(c.var.storage.runner, keys, before === undefined ? {} : { before }), 200);
  });

  return app;
}
