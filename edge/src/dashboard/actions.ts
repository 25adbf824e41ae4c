/**
 * The dashboard's actions, each a POST that has passed the Origin, session and CSRF checks (guard.ts), runs
 * one admin operation and redirects (303) back to the screen it came from with a notice code.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import {
  findJob,
  OffloadError,
  parseJobId,
  purgeDead,
  queueKeys,
  replayDead,
  retryJob,
  promoteJob,
  setPaused,
  BULK_CHUNK,
  type MoveOutcome,
  type Registry,
} from "../../../shared/src/index";
import type { DashboardEnv } from "./guard";
import { noticeQuery, type NoticeCode } from "./notices";
import { queueName } from "./pages";

const IdsSchema = z.array(z.string().min(1).max(200)).max(BULK_CHUNK);

const queuePath = (name: string) => `/dashboard/queues/${encodeURIComponent(name)}`;
const jobPath = (id: string) => `/dashboard/jobs/${encodeURIComponent(id)}`;

function jobOf(jobs: Registry, id: string) {
  const parsed = parseJobId(id);
  if (!parsed || !findJob(jobs, parsed.queue)) throw new OffloadError("job_not_found", `No job ${JSON.stringify(id.slice(0, 100))}`);
  return parsed;
}

function afterMove(c: Context<DashboardEnv>, id: string, outcome: MoveOutcome, code: NoticeCode) {
  if (outcome.outcome === "missing") throw new OffloadError("job_not_found", `No job ${JSON.stringify(id.slice(0, 100))}`);
  const query = outcome.outcome === "moved" ? noticeQuery(code) : noticeQuery("unchanged", { state: outcome.state });
  return c.redirect(`${jobPath(id)}?${query}`, 303);
}

export function actionRoutes(jobs: Registry): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  const keysOf = (c: Context<DashboardEnv>, name: string) => queueKeys(name, c.var.config.redisPrefix);

  for (const paused of [true, false]) {
    app.post(`/dashboard/queues/:name/${paused ? "pause" : "resume"}`, async (c) => {
      const name = queueName(jobs, c.req.param("name"));
      await setPaused(c.var.storage.runner, keysOf(c, name), paused);
      return c.redirect(`${queuePath(name)}?${noticeQuery(paused ? "paused" : "resumed")}`, 303);
    });
  }

  app.post("/dashboard/queues/:name/dead/replay", async (c) => {
    const name = queueName(jobs, c.req.param("name"));
    const form = c.var.form;
    let what: { ids: string[] } | { all: true };
    if (form.all?.[0] === "1") {
      what = { all: true };
    } else {
      const ids = IdsSchema.safeParse(form.ids ?? []);
      if (!ids.success) throw new OffloadError("validation_failed", `Select between 1 and ${BULK_CHUNK} jobs`);
      if (ids.data.length === 0) throw new OffloadError("validation_failed", "Select at least one job to replay");
      what = { ids: ids.data };
    }
    const result = await replayDead(c.var.storage.runner, keysOf(c, name), what);
    const query = noticeQuery("replayed", { n: result.replayed, skipped: result.skipped.length });
    return c.redirect(`${queuePath(name)}?state=dead&${query}`, 303);
  });

  app.post("/dashboard/queues/:name/dead/purge", async (c) => {
    const name = queueName(jobs, c.req.param("name"));
    const { purged } = await purgeDead(c.var.storage.runner, keysOf(c, name));
    return c.redirect(`${queuePath(name)}?state=dead&${noticeQuery("purged", { n: purged })}`, 303);
  });

  // Replay of one dead letter: the same operation as the bulk replay, so it keeps the job's id and errors.
  app.post("/dashboard/jobs/:id/replay", async (c) => {
    const id = c.req.param("id");
    const { queue } = jobOf(jobs, id);
    const result = await replayDead(c.var.storage.runner, keysOf(c, queue), { ids: [id] });
    const skipped = result.skipped[0];
    if (skipped?.reason === "not_found") throw new OffloadError("job_not_found", `No job ${JSON.stringify(id.slice(0, 100))}`);
    const query = result.replayed === 1 ? noticeQuery("replayed", { n: 1 }) : noticeQuery("unchanged");
    return c.redirect(`${jobPath(id)}?${query}`, 303);
  });

  app.post("/dashboard/jobs/:id/retry", async (c) => {
    const id = c.req.param("id");
    const { queue, localId } = jobOf(jobs, id);
    return afterMove(c, id, await retryJob(c.var.storage.runner, keysOf(c, queue), localId), "retried");
  });

  app.post("/dashboard/jobs/:id/promote", async (c) => {
    const id = c.req.param("id");
    const { queue, localId } = jobOf(jobs, id);
    return afterMove(c, id, await promoteJob(c.var.storage.runner, keysOf(c, queue), localId), "promoted");
  });

  return app;
}
