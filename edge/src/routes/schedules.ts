/**
 * Recurring schedules at runtime (admin keys only; producer keys get 403):
 *   PUT    /v1/admin/schedules/{id}   create or replace `{ job, cron | every, tz?, data, options?, catchUp? }`
 *   GET    /v1/admin/schedules        every schedule of every job type, each with its next three run times
 *   GET    /v1/admin/schedules/{id}   one schedule
 *   DELETE /v1/admin/schedules/{id}
 * Schedules live per queue (`{q}:schedules*`), so a listing or a lookup by id is one script call per job type,
 * sent as one pipeline (one Upstash request). Validation happens before anything is written: the cron pattern
 * and time zone by croner (it runs in workerd too, and computes the next run times), `data` by the job's own
 * schema, an unknown `job` is a 400 at path `job` (a body field, not the resource: 404 is for the schedule id).
 * A schedule made here is marked `source: "api"`: worker starts do not delete it. Replacing a code-defined
 * schedule works until the next worker start puts the code's version back (code is its source of truth).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  CALLBACK_OUTCOMES,
  findJob,
  nextFires,
  OffloadError,
  parseScheduleRead,
  queueKeys,
  readSchedules,
  scheduleDeleteCall,
  scheduleReadCall,
  ScheduleBodySchema,
  SCHEDULE_ID,
  toSpec,
  upsertSchedules,
  type Registry,
  type ScriptRunner,
  type StoredSchedule,
} from "../../../shared/src/index";
import type { AppEnv } from "../context";
import { assertDestinationsAllowed, callbackIssues } from "../destination";
import { requireAdmin } from "../middleware/auth";
import { requireJson } from "../middleware/content-type";
import { problem } from "../schemas";
import { validationError } from "../validation";

const ScheduleSchema = z
  .object({
    id: z.string(),
    job: z.string(),
    cron: z.string().optional(),
    everyMs: z.number().optional(),
    tz: z.string().optional(),
    data: z.unknown(),
    options: z
      .object({
        maxAttempts: z.number().optional(),
        backoffMs: z.number().optional(),
        timeoutMs: z.number().optional(),
        priority: z.number().optional(),
        callback: z.string().optional(),
        callbackOn: z.array(z.enum(CALLBACK_OUTCOMES)).optional(),
      })
      .optional(),
    catchUp: z.enum(["one", "all", "none"]),
    source: z.enum(["code", "api"]).openapi({ description: "code: from a job definition (workers keep it in sync); api: made here." }),
    nextRuns: z.array(z.string()).openapi({ description: "The next three run times (ISO 8601, UTC)." }),
    lastRun: z.object({ at: z.string(), jobId: z.string() }).nullable(),
  })
  .openapi("Schedule");
const SchedulesSchema = z.object({ schedules: z.array(ScheduleSchema) }).openapi("Schedules");

const IdParam = z.object({
  id: z.string().regex(SCHEDULE_ID, "letters, digits and . _ : - (up to 128)").openapi({ param: { name: "id", in: "path" }, example: "nightly-report" }),
});

const common = {
  401: problem("Missing or unknown API key"),
  403: problem("Not an admin key"),
  503: problem("Queue storage unavailable; see Retry-After"),
} as const;

const putRoute = createRoute({
  method: "put",
  path: "/v1/admin/schedules/{id}",
  operationId: "putSchedule",
  tags: ["admin"],
  summary: "Create or replace a recurring schedule (admin key)",
  description:
    "Exactly one of `cron` (5 or 6 fields, seconds first when 6; `tz` an IANA time zone, default UTC; DST by croner) or `every` (a duration such as `\"30s\"`, at least 1 s; ticks are multiples of it since the Unix epoch). `catchUp` says what happens to ticks missed while no worker was running: `one` (default) runs the latest, `all` runs each (at most 100), `none` skips them. Every tick creates exactly one job however many workers run. An unchanged schedule keeps its next run time; a changed one restarts from now. `options` are each tick job's enqueue options: `maxAttempts`, `backoffMs`, `timeoutMs`, `priority` (1 runs first … 10 runs last; default the job type's) and `callback` + `callbackOn` (the completion callback, same rules as the enqueue options: http(s), private networks refused unless WEBHOOK_ALLOW_PRIVATE_NETWORKS; default the job type's callback).",
  middleware: [requireAdmin(), requireJson()] as const,
  request: {
    params: IdParam,
    body: { required: true, content: { "application/json": { schema: ScheduleBodySchema } } },
  },
  responses: {
    200: { description: "The schedule as stored", content: { "application/json": { schema: ScheduleSchema } } },
    400: problem(
      "Invalid cron, time zone, duration, data failing the job's schema, unknown `job`, `options.priority` out of range, or an invalid or refused `options.callback`; `errors` has paths",
    ),
    415: problem("Body is not JSON"),
    ...common,
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/v1/admin/schedules",
  operationId: "listSchedules",
  tags: ["admin"],
  summary: "Every recurring schedule, with next run times and last run (admin key)",
  middleware: [requireAdmin()] as const,
  responses: { 200: { description: "All schedules", content: { "application/json": { schema: SchedulesSchema } } }, ...common },
});

const getRoute = createRoute({
  method: "get",
  path: "/v1/admin/schedules/{id}",
  operationId: "getSchedule",
  tags: ["admin"],
  summary: "One recurring schedule (admin key)",
  middleware: [requireAdmin()] as const,
  request: { params: IdParam },
  responses: {
    200: { description: "The schedule", content: { "application/json": { schema: ScheduleSchema } } },
    404: problem("No schedule with this id"),
    ...common,
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/v1/admin/schedules/{id}",
  operationId: "deleteSchedule",
  tags: ["admin"],
  summary: "Delete a recurring schedule; jobs it created are untouched (admin key)",
  middleware: [requireAdmin()] as const,
  request: { params: IdParam },
  responses: {
    204: { description: "Deleted" },
    404: problem("No schedule with this id"),
    ...common,
  },
});

/** A stored schedule as the API (and the dashboard's schedules page) shows it: next three runs, last run. */
export function scheduleView(schedule: StoredSchedule) {
  const { spec } = schedule;
  return {
    id: schedule.id,
    ...spec,
    nextRuns: schedule.next >= 0 ? nextFires(spec, schedule.next, 3).map((ms) => new Date(ms).toISOString()) : [],
    lastRun: schedule.lastRun ? { at: new Date(schedule.lastRun.at).toISOString(), jobId: schedule.lastRun.jobId } : null,
  };
}

const scheduleNotFound = (id: string) => new OffloadError("not_found", `No schedule ${JSON.stringify(id.slice(0, 128))}`);

/**
 * Every queue's schedules (mode all) or the one with this id, in one pipeline: one schedule_read per job type.
 * @example
 * const all = await readAllSchedules(runner, JOBS, "offload");
 */
export async function readAllSchedules(runner: ScriptRunner, jobs: Registry, prefix: string, id?: string): Promise<StoredSchedule[]> {
  const names = Object.keys(jobs);
  const read = id === undefined ? ({ mode: "all" } as const) : ({ mode: "one", id } as const);
  const replies = await runner.runMany(names.map((name) => scheduleReadCall(queueKeys(name, prefix), read)));
  const out: StoredSchedule[] = [];
  for (const [i, reply] of replies.entries()) {
    out.push(...parseScheduleRead(queueKeys(names[i]!, prefix), reply).schedules);
  }
  return out;
}

/**
 * @example
 * app.route("/", scheduleRoutes(JOBS));
 */
export function scheduleRoutes(jobs: Registry): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const readAll = (c: { var: AppEnv["Variables"] }, id?: string) =>
    readAllSchedules(c.var.storage.runner, jobs, c.var.config.redisPrefix, id);

  app.openapi(putRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const definition = findJob(jobs, body.job);
    if (!definition) throw validationError([{ path: ["job"], message: `no job named ${JSON.stringify(body.job.slice(0, 100))}` }]);
    const data = definition.schema.safeParse(body.data);
    if (!data.success) throw validationError(data.error.issues, ["data"]);
    // The deployment's SSRF policy, as for an enqueue's `callback` (the worker checks again when it sends).
    const policy = { allowPrivateNetworks: c.var.config.webhookAllowPrivateNetworks };
    assertDestinationsAllowed(callbackIssues(body.options?.callback, policy, ["options", "callback"]));
    const elsewhere = (await readAll(c, id)).find((s) => s.spec.job !== definition.name);
    if (elsewhere) {
      throw validationError([{ path: ["job"], message: `schedule "${id}" belongs to job "${elsewhere.spec.job}"; delete it first` }]);
    }
    const keys = queueKeys(definition.name, c.var.config.redisPrefix);
    const spec = toSpec(definition.name, { ...body, data: data.data }, "api");
    await upsertSchedules(c.var.storage.runner, keys, [{ id, spec }], "api");
    const [stored] = await readSchedules(c.var.storage.runner, keys, { mode: "one", id });
    return c.json(scheduleView(stored!), 200);
  });

  app.openapi(listRoute, async (c) => {
    const all = await readAll(c);
    all.sort((a, b) => a.id.localeCompare(b.id));
    return c.json({ schedules: all.map(scheduleView) }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const [found] = await readAll(c, id);
    if (!found) throw scheduleNotFound(id);
    return c.json(scheduleView(found), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    const { runner } = c.var.storage;
    const prefix = c.var.config.redisPrefix;
    const replies = await runner.runMany(Object.keys(jobs).map((name) => scheduleDeleteCall(queueKeys(name, prefix), id)));
    if (!replies.some((reply) => Number(reply) === 1)) throw scheduleNotFound(id);
    return c.body(null, 204);
  });
  return app;
}
