/**
 * The dashboard's GET screens: overview, queue (one tab per state), job. Each reads through the edge's Upstash
 * runner with the admin operations of shared/src/ops/admin.ts; one page is a handful of REST round trips
 * (the overview: one `getQueueDetail` per queue, all in parallel).
 */
import { Hono } from "hono";
import { z } from "zod";
import {
  effectiveLimits,
  findJob,
  formatDuration,
  getJobDetail,
  getQueueDetail,
  JOB_STATES,
  listJobs,
  OffloadError,
  parseJobId,
  queueKeys,
  type Registry,
} from "../../../shared/src/index";
import type { DashboardEnv } from "./guard";
import { render } from "./render";
import { noticeFrom } from "./notices";
import { JobPage } from "./views/job";
import { OverviewPage } from "./views/overview";
import { QueuePage } from "./views/queue";
import { SchedulesPage, type ScheduleRow } from "./views/schedules";
import { readAllSchedules, scheduleView } from "../routes/schedules";

/** Jobs per queue page. */
export const PAGE_SIZE = 25;

const QueueQuery = z.object({
  state: z.enum(JOB_STATES).default("waiting"),
  cursor: z.string().min(1).max(1_024).optional(),
});

/** 404 unless the queue is one of the served job types. */
export function queueName(jobs: Registry, name: string): string {
  if (!findJob(jobs, name)) throw new OffloadError("unknown_job", `No queue named ${JSON.stringify(name.slice(0, 100))}`);
  return name;
}

export function pageRoutes(jobs: Registry): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();

  app.get("/dashboard", async (c) => {
    const runner = c.var.storage.runner;
    const queues = await Promise.all(
      Object.keys(jobs).map((name) => getQueueDetail(runner, queueKeys(name, c.var.config.redisPrefix), { minutes: 1_440 })),
    );
    return render(c, <OverviewPage queues={queues} csrf={c.var.csrf} notice={noticeFrom(c.req.query())} />);
  });

  // Every schedule of every served job type: one schedule_read per job type in one pipeline, as the API lists them.
  app.get("/dashboard/schedules", async (c) => {
    const stored = await readAllSchedules(c.var.storage.runner, jobs, c.var.config.redisPrefix);
    const schedules: ScheduleRow[] = stored
      .map(scheduleView)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((s) => ({
        id: s.id,
        job: s.job,
        cadence: s.cron ? `cron ${s.cron}${s.tz ? ` (${s.tz})` : " (UTC)"}` : `every ${formatDuration(s.everyMs!)}`,
        source: s.source === "code" ? "defined in code" : "made through the API",
        nextRuns: s.nextRuns,
        lastRun: s.lastRun,
      }));
    return render(c, <SchedulesPage schedules={schedules} csrf={c.var.csrf} />);
  });

  app.get("/dashboard/queues/:name", async (c) => {
    const name = queueName(jobs, c.req.param("name"));
    const query = QueueQuery.safeParse({ state: c.req.query("state"), cursor: c.req.query("cursor") });
    if (!query.success) {
      throw new OffloadError("validation_failed", `Unknown state: use one of ${JOB_STATES.join(", ")}`);
    }
    const { state, cursor } = query.data;
    const keys = queueKeys(name, c.var.config.redisPrefix);
    const runner = c.var.storage.runner;
    const [queue, page] = await Promise.all([
      getQueueDetail(runner, keys, { minutes: 1 }),
      listJobs(runner, keys, { state, limit: PAGE_SIZE, listPriority: findJob(jobs, name)?.priority, ...(cursor === undefined ? {} : { cursor }) }),
    ]);
    const limits = effectiveLimits(findJob(jobs, name)!, queue.flow);
    return render(c, <QueuePage queue={queue} limits={limits} state={state} page={page} cursor={cursor} csrf={c.var.csrf} notice={noticeFrom(c.req.query())} />);
  });

  app.get("/dashboard/jobs/:id", async (c) => {
    const id = c.req.param("id");
    const parsed = parseJobId(id);
    const job =
      parsed && findJob(jobs, parsed.queue)
        ? await getJobDetail(
            c.var.storage.runner,
            queueKeys(parsed.queue, c.var.config.redisPrefix),
            parsed.localId,
            findJob(jobs, parsed.queue)?.priority,
          )
        : undefined;
    if (!parsed || !job) throw new OffloadError("job_not_found", `No job ${JSON.stringify(id.slice(0, 100))} (unknown, or its record has expired)`);
    return render(c, <JobPage job={job} queue={parsed.queue} csrf={c.var.csrf} notice={noticeFrom(c.req.query())} />);
  });

  return app;
}
